"""SQLAlchemy models, one module per area; importing this registers every table."""

from app.models.accounts import Membership, Team, User, UserSession
from app.models.audit import AuditEvent
from app.models.partners import ExportLog, PartnerToken
from app.models.peers import BundleRecord, Peer, PeerToken
from app.models.places import Place
from app.models.records import ChangeRow, HubCounter, HubIdentity, NameToken, Record
from app.models.security import LoginThrottle
from app.models.sync import Device, ParkedChange

__all__ = [
    "AuditEvent",
    "BundleRecord",
    "ChangeRow",
    "Device",
    "ExportLog",
    "HubCounter",
    "HubIdentity",
    "LoginThrottle",
    "Membership",
    "NameToken",
    "ParkedChange",
    "PartnerToken",
    "Peer",
    "PeerToken",
    "Place",
    "Record",
    "Team",
    "User",
    "UserSession",
]
