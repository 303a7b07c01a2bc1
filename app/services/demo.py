"""The demo data set: the Homs scenario of DATA-MODEL.md, in Arabic and English.

`load_demo()` fills the current database with the sample gazetteer, two teams and their
users, incidents, casualties, missing persons and supply needs, and a few open conflicts.
Every record is made the way a real one is: through `records.create` on behalf of a
team member (so it passes `validate_record` and the access rules, like a POST), and the
conflicts by two field devices editing the same record offline (`sync.Replica`), whose
changes enter the hub through `changelog.write`, as a sync push does.

It is idempotent: teams, users and records are found by name or by fixed ids (uuid5 of
stable names), device changes have fixed op ids, and whatever exists is left alone, so a
second run writes nothing. Dates are relative to `today` (default: the hub's UTC date).
The people are invented; the events follow public accounts of Homs in 2012.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError

from app.extensions import db
from app.models import ChangeRow, Place, Record, Team, User
from app.schemas.records import validate_record
from app.security.principal import Principal
from app.services import accounts, changelog, gazetteer, records
from app.services.access import change_refusal
from app.services.cod_csv import read_cod_csv
from app.services.record_codec import diff_patch, rest_values
from sync import Change, Replica

# Fixed for ever: the ids of demo records, notes, requests and device changes are
# uuid5(DEMO_NAMESPACE, name), the same on every hub and every run.
DEMO_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:tawthiq:demo")


def demo_id(name: str) -> str:
    """The fixed id of a demo object called `name` (e.g. "record:khaldiyeh-shelling")."""
    return str(uuid.uuid5(DEMO_NAMESPACE, name))


def record_id(key: str) -> str:
    """The fixed id of the demo record `key`."""
    return demo_id(f"record:{key}")


class DemoError(Exception):
    """The demo data set could not be loaded (a record or change was refused)."""


# --- teams and users -------------------------------------------------------------------

TEAMS = {
    "homs": "Homs documentation team / فريق توثيق حمص",
    "hama": "Hama council / مجلس حماة",
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    team: str  # key of TEAMS
    role: str
    display_name: str


USERS = (
    DemoUser("homs-coordinator", "homs", "coordinator", "Rana Haddad / رنا حداد"),
    DemoUser("homs-reporter-1", "homs", "reporter", "Lina Sabbagh / لينا الصباغ"),
    DemoUser("homs-reporter-2", "homs", "reporter", "Omar Jandali / عمر الجندلي"),
    DemoUser("hama-coordinator", "hama", "coordinator", "Yaman Kilani / يمان الكيلاني"),
)


# --- what a run did --------------------------------------------------------------------


@dataclass
class DemoReport:
    """What `load_demo` did, and what the demo data set now holds."""

    gazetteer: list[str] = field(default_factory=list)
    teams_created: list[str] = field(default_factory=list)
    # username -> one-time password, only for users created by this run (shown once).
    passwords: dict[str, str] = field(default_factory=dict)
    users: list[DemoUser] = field(default_factory=list)
    created: Counter[str] = field(default_factory=Counter)
    existing: int = 0
    conflicts_made: list[str] = field(default_factory=list)
    # team name -> kind -> visible records of the demo teams (whoever made them).
    totals: dict[str, dict[str, int]] = field(default_factory=dict)
    open_conflicts: int = 0

    def lines(self) -> list[str]:
        """A short human summary (no passwords: the CLI prints those itself)."""
        out = [*self.gazetteer]
        made = ", ".join(f"{n} {k}" for k, n in sorted(self.created.items())) or "nothing"
        out.append(f"Records created now: {made}; already there: {self.existing}.")
        if self.conflicts_made:
            out.append("Conflicts made by offline devices: " + ", ".join(self.conflicts_made) + ".")
        for team, kinds in self.totals.items():
            counts = ", ".join(f"{kinds.get(k, 0)} {k}" for k in records.RECORD_KINDS)
            out.append(f"{team}: {counts}.")
        out.append(f"Records with open conflicts: {self.open_conflicts}.")
        return out


# --- dates -----------------------------------------------------------------------------


class _Days:
    """Dates and timestamps a number of days before `today`."""

    def __init__(self, today: date) -> None:
        self.today = today

    def day(self, ago: int) -> str:
        return (self.today - timedelta(days=ago)).isoformat()

    def month(self, ago: int) -> str:
        return (self.today - timedelta(days=ago)).isoformat()[:7]

    def at(self, ago: int, hour: int, minute: int = 0) -> str:
        moment = datetime.combine(self.today - timedelta(days=ago), time(hour, minute), UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the records -----------------------------------------------------------------------

# Neighbourhoods and towns of the sample gazetteer, by P-code.
PLACES = {
    "homs": "C4082",
    "khaldiyeh": "C4082-01",
    "bab_amr": "C4082-02",
    "bab_sbaa": "C4082-03",
    "inshaat": "C4082-04",
    "qusur": "C4082-05",
    "jurat_al_shayah": "C4082-06",
    "karm_al_zeitoun": "C4082-07",
    "bab_tadmur": "C4082-08",
    "ghouta": "C4082-09",
    "rastan": "C4169",
    "hama": "C5080",
}

# Days before today of each incident.
KHALDIYEH, BAB_AMR, BAB_SBAA, KARM, HAMA_DAY = 74, 46, 31, 12, 38


def _place(name: str) -> str:
    return gazetteer.place_id_for_pcode(PLACES[name])


def _note(key: str, status: str, text: str, when: str, author: str, contact: bool) -> dict:
    return {
        "note_id": demo_id(f"note:{key}"),
        "status": status,
        "text": text,
        "author_made_contact": contact,
        "date": when,
        "author_name": author,
    }


def _incidents(d: _Days) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (
            "incident:khaldiyeh-shelling",
            "homs-coordinator",
            {
                "kind": "incident",
                "event_type": "shelling_artillery_missile",
                "perpetrator_type": "state_forces",
                "place_id": _place("khaldiyeh"),
                "lat": "34.7452",
                "lon": "36.7219",
                "geo_precision": "neighbourhood",
                "occurred_date": d.day(KHALDIYEH),
                "reported_at": d.at(KHALDIYEH - 1, 6, 40),
                "source_type": "team_observation",
                "source_count": 4,
                "verification_status": "corroborated",
                "killed_min": 105,
                "killed_max": 105,
                "injured_min": 90,
                "injured_max": 110,
                "missing_min": 25,
                "missing_max": 25,
                "description": (
                    "ليلة قصف على حي الخالدية: سقطت حتى 250 قذيفة هاون على الحي. "
                    "105 قتلى من المدنيين، ونحو 100 جريح بإصابات خطيرة، و25 مفقوداً أو أسيراً.\n"
                    "A night of shelling on Khaldiyeh: up to 250 mortar rounds fell on the "
                    "neighbourhood. 105 civilians killed, about 100 seriously wounded, 25 "
                    "missing or captured."
                ),
                "internal_notes": "Counts from the field hospital, the mosque and two families.",
            },
        ),
        (
            "incident:bab-amr-air-strike",
            "homs-coordinator",
            {
                "kind": "incident",
                "event_type": "air_drone_strike",
                "perpetrator_type": "unknown",
                "place_id": _place("bab_amr"),
                "geo_precision": "neighbourhood",
                "occurred_date": d.day(BAB_AMR),
                "reported_at": d.at(BAB_AMR, 15, 10),
                "source_type": "eyewitness",
                "source_count": 2,
                "verification_status": "single_source",
                "killed_min": 7,
                "killed_max": 9,
                "injured_min": 12,
                "injured_max": 20,
                "description": (
                    "غارة جوية على بناء سكني قرب سوق بابا عمرو؛ انهار الطابقان العلويان.\n"
                    "Air strike on a residential building near the Bab Amr market; the two "
                    "upper floors collapsed."
                ),
            },
        ),
        (
            "incident:bab-sbaa-checkpoint-arrests",
            "homs-coordinator",
            {
                "kind": "incident",
                "event_type": "arrests",
                "perpetrator_type": "state_forces",
                "place_id": _place("bab_sbaa"),
                "geo_precision": "near",
                "location_detail": "حاجز مدخل باب السباع / the checkpoint at the entrance",
                "occurred_date": d.day(BAB_SBAA),
                "reported_at": d.at(BAB_SBAA, 11, 5),
                "source_type": "family",
                "source_count": 3,
                "missing_min": 2,
                "missing_max": 4,
                "description": (
                    "اعتقال شبان على حاجز باب السباع أثناء عودتهم من المخبز.\n"
                    "Young men arrested at the Bab Sbaa checkpoint on their way back from "
                    "the bakery."
                ),
            },
        ),
        (
            "incident:karm-al-zeitoun-sniper",
            "homs-reporter-2",
            {
                "kind": "incident",
                "event_type": "attack_on_civilians",
                "perpetrator_type": "unknown",
                "place_id": _place("karm_al_zeitoun"),
                "geo_precision": "neighbourhood",
                "occurred_date": d.day(KARM),
                "reported_at": d.at(KARM, 18, 30),
                "source_type": "team_observation",
                "killed_min": 1,
                "killed_max": 1,
                "injured_min": 1,
                "injured_max": 2,
                "description": (
                    "قنص على الشارع الرئيسي في كرم الزيتون قرب نقطة توزيع الماء.\n"
                    "Sniper fire on the main street of Karm al-Zeitoun near the water point."
                ),
            },
        ),
        (
            "incident:hama-shelling",
            "hama-coordinator",
            {
                "kind": "incident",
                "event_type": "shelling_artillery_missile",
                "perpetrator_type": "unknown",
                "place_id": _place("hama"),
                "geo_precision": "community",
                "occurred_date": d.day(HAMA_DAY),
                "reported_at": d.at(HAMA_DAY, 9, 0),
                "source_type": "council_record",
                "killed_min": 2,
                "killed_max": 3,
                "injured_min": 4,
                "injured_max": 6,
                "description": "قصف على حي الحاضر في حماة.\nShelling on al-Hader, Hama.",
            },
        ),
    ]


def _casualties(d: _Days) -> list[tuple[str, str, dict[str, Any]]]:
    khaldiyeh = record_id("incident:khaldiyeh-shelling")
    bab_amr = record_id("incident:bab-amr-air-strike")
    karm = record_id("incident:karm-al-zeitoun-sniper")
    base_k = {
        "kind": "casualty",
        "incident_id": khaldiyeh,
        "place_id": _place("khaldiyeh"),
        "geo_precision": "neighbourhood",
        "occurred_date": d.day(KHALDIYEH),
        "cause": "shelling_artillery",
        "civilian_status": "civilian",
    }
    base_b = {
        **base_k,
        "incident_id": bab_amr,
        "place_id": _place("bab_amr"),
        "occurred_date": d.day(BAB_AMR),
        "cause": "air_strike",
    }
    base_z = {
        **base_k,
        "incident_id": karm,
        "place_id": _place("karm_al_zeitoun"),
        "occurred_date": d.day(KARM),
        "cause": "gunfire_sniper",
    }
    return [
        (
            "casualty:khaldiyeh-mohammad-atassi",
            "homs-reporter-1",
            {
                **base_k,
                "outcome": "killed",
                "full_name": "محمد خالد الأتاسي",
                "full_name_latin": "Mohammad Khaled al-Atassi",
                "given_name": "محمد",
                "father_name": "خالد",
                "family_name": "الأتاسي",
                "alternate_names": ["أبو خالد"],
                "sex": "male",
                "age_years": 34,
                "date_of_death": d.day(KHALDIYEH),
                "facility_type": "field_hospital",
                "documentation": ["body_seen", "death_certificate", "photo"],
                "source_type": "medical_record",
            },
        ),
        (
            "casualty:khaldiyeh-fatima-droubi",
            "homs-reporter-1",
            {
                **base_k,
                "outcome": "killed",
                "full_name": "فاطمة عبد الله الدروبي",
                "full_name_latin": "Fatima Abdullah al-Droubi",
                "given_name": "فاطمة",
                "father_name": "عبد الله",
                "family_name": "الدروبي",
                "mother_name": "خديجة",
                "sex": "female",
                "age_years": 52,
                "date_of_death": d.day(KHALDIYEH),
                "documentation": ["burial_record", "family_testimony"],
                "source_type": "family",
            },
        ),
        (
            "casualty:khaldiyeh-ahmad-sibai",
            "homs-reporter-1",
            {
                **base_k,
                "outcome": "killed",
                "full_name": "أحمد محمود السباعي",
                "full_name_latin": "Ahmad Mahmoud al-Sibai",
                "given_name": "أحمد",
                "father_name": "محمود",
                "family_name": "السباعي",
                "sex": "male",
                "age_years": 12,
                "date_of_death": d.day(KHALDIYEH),
                "documentation": ["family_testimony", "photo"],
                "source_type": "family",
            },
        ),
        (
            # Named on two devices in two spellings: an open identity conflict.
            "casualty:khaldiyeh-mustafa-shami",
            "homs-reporter-1",
            {
                **base_k,
                "outcome": "killed",
                "full_name": "مصطفى الشامي",
                "full_name_latin": "Mustafa al-Shami",
                "sex": "male",
                "age_group": "adult",
                "date_of_death": d.day(KHALDIYEH),
                "documentation": ["body_seen"],
                "source_type": "eyewitness",
            },
        ),
        (
            "casualty:khaldiyeh-unidentified-7",
            "homs-reporter-1",
            {
                **base_k,
                "outcome": "killed",
                "count": 7,
                "sex": "unknown",
                "age_group": "unknown",
                "documentation": ["body_seen", "burial_record"],
                "source_type": "morgue_or_burial_record",
                "internal_notes": "Seven bodies buried together in the public garden, unnamed.",
            },
        ),
        (
            "casualty:khaldiyeh-zainab-hamdan",
            "homs-reporter-1",
            {
                **base_k,
                "outcome": "injured",
                "injury_severity": "critical",
                "full_name": "زينب علي حمدان",
                "full_name_latin": "Zainab Ali Hamdan",
                "given_name": "زينب",
                "father_name": "علي",
                "family_name": "حمدان",
                "sex": "female",
                "age_years": 41,
                "facility_type": "field_hospital",
                "documentation": ["medical_report"],
                "source_type": "medical_record",
            },
        ),
        (
            "casualty:khaldiyeh-hassan-fakhouri",
            "homs-coordinator",
            {
                **base_k,
                "outcome": "died_of_wounds",
                "full_name": "حسن إبراهيم الفاخوري",
                "full_name_latin": "Hassan Ibrahim al-Fakhouri",
                "given_name": "حسن",
                "father_name": "إبراهيم",
                "family_name": "الفاخوري",
                "sex": "male",
                "age_years": 67,
                "date_of_death": d.day(KHALDIYEH - 5),
                "facility_type": "hospital",
                "documentation": ["death_certificate", "medical_report"],
                "source_type": "medical_record",
                "source_count": 2,
                "verification_status": "confirmed",
            },
        ),
        (
            "casualty:khaldiyeh-injured-unidentified-12",
            "homs-coordinator",
            {
                **base_k,
                "outcome": "injured",
                "injury_severity": "serious",
                "count": 12,
                "sex": "unknown",
                "age_group": "unknown",
                "civilian_status": "unknown",
                "facility_type": "field_hospital",
                "source_type": "medical_record",
                "internal_notes": "Field hospital register, first night only.",
            },
        ),
        (
            "casualty:bab-amr-reem-ali",
            "homs-reporter-2",
            {
                **base_b,
                "outcome": "killed",
                "full_name": "ريم سامر العلي",
                "full_name_latin": "Reem Samer al-Ali",
                "given_name": "ريم",
                "father_name": "سامر",
                "family_name": "العلي",
                "sex": "female",
                "age_years": 9,
                "date_of_death": d.day(BAB_AMR),
                "documentation": ["body_seen", "video"],
                "source_type": "eyewitness",
            },
        ),
        (
            "casualty:bab-amr-youssef-bakkour",
            "homs-reporter-2",
            {
                **base_b,
                "outcome": "killed",
                "full_name": "يوسف أحمد البكور",
                "full_name_latin": "Youssef Ahmad al-Bakkour",
                "sex": "male",
                "age_years": 23,
                "civilian_status": "non_civilian",
                "date_of_death": d.day(BAB_AMR),
                "documentation": ["photo"],
                "source_type": "social_media",
            },
        ),
        (
            "casualty:bab-amr-unidentified-3",
            "homs-reporter-2",
            {
                **base_b,
                "outcome": "killed",
                "count": 3,
                "sex": "male",
                "age_group": "adult",
                "civilian_status": "unknown",
                "documentation": ["body_seen"],
                "source_type": "team_observation",
            },
        ),
        (
            "casualty:karm-souad-najjar",
            "homs-reporter-2",
            {
                **base_z,
                "outcome": "killed",
                "full_name": "سعاد محمد النجار",
                "full_name_latin": "Souad Mohammad al-Najjar",
                "given_name": "سعاد",
                "father_name": "محمد",
                "family_name": "النجار",
                "sex": "female",
                "age_years": 38,
                "date_of_death": d.day(KARM),
                "documentation": ["medical_report", "video"],
                "source_type": "medical_record",
            },
        ),
        (
            "casualty:karm-omar-qabbani",
            "homs-reporter-2",
            {
                **base_z,
                "outcome": "injured",
                "injury_severity": "minor",
                "full_name": "عمر فادي قباني",
                "full_name_latin": "Omar Fadi Qabbani",
                "sex": "male",
                "age_years": 15,
                "facility_type": "clinic",
                "source_type": "victim",
            },
        ),
        (
            "casualty:basel-hasan-detention",
            "homs-coordinator",
            {
                "kind": "casualty",
                "outcome": "killed",
                "cause": "death_in_detention_torture",
                "civilian_status": "civilian",
                "full_name": "باسل نزار الحسن",
                "full_name_latin": "Basel Nizar al-Hasan",
                "sex": "male",
                "age_years": 30,
                "place_id": _place("homs"),
                "geo_precision": "community",
                "occurred_date": d.month(80),
                "date_of_death": d.month(80),
                "documentation": ["photo", "family_testimony"],
                "source_type": "family",
                "sensitivity": "strictly_confidential",
                "internal_notes": "The family asked that only the coordinator handle this case.",
            },
        ),
        (
            "casualty:ghouta-infant-siege",
            "homs-reporter-1",
            {
                "kind": "casualty",
                "outcome": "killed",
                "cause": "siege_deprivation",
                "civilian_status": "civilian",
                "sex": "female",
                "age_years": 0,
                "place_id": _place("ghouta"),
                "geo_precision": "neighbourhood",
                "occurred_date": d.day(20),
                "date_of_death": d.day(20),
                "documentation": ["family_testimony"],
                "source_type": "family",
                "internal_notes": "Infant girl, not yet named; no milk formula for two weeks.",
            },
        ),
        (
            "casualty:hama-marwan-sheikh",
            "hama-coordinator",
            {
                "kind": "casualty",
                "incident_id": record_id("incident:hama-shelling"),
                "outcome": "killed",
                "cause": "shelling_artillery",
                "civilian_status": "civilian",
                "full_name": "مروان عادل الشيخ",
                "full_name_latin": "Marwan Adel al-Sheikh",
                "sex": "male",
                "age_years": 44,
                "place_id": _place("hama"),
                "occurred_date": d.day(HAMA_DAY),
                "date_of_death": d.day(HAMA_DAY),
                "source_type": "council_record",
            },
        ),
        (
            "casualty:hama-injured-unidentified-2",
            "hama-coordinator",
            {
                "kind": "casualty",
                "incident_id": record_id("incident:hama-shelling"),
                "outcome": "injured",
                "injury_severity": "serious",
                "count": 2,
                "cause": "shelling_artillery",
                "civilian_status": "civilian",
                "sex": "female",
                "age_group": "child",
                "place_id": _place("hama"),
                "occurred_date": d.day(HAMA_DAY),
                "source_type": "council_record",
            },
        ),
    ]


def _missing_persons(d: _Days, users: dict[str, User]) -> list[tuple[str, str, dict[str, Any]]]:
    base = {"kind": "missing_person", "geo_precision": "neighbourhood"}
    return [
        (
            "missing:bab-sbaa-samer-khatib",
            "homs-reporter-2",
            {
                **base,
                "full_name": "سامر نبيل الخطيب",
                "full_name_latin": "Samer Nabil al-Khatib",
                "given_name": "سامر",
                "father_name": "نبيل",
                "family_name": "الخطيب",
                "mother_name": "سهام",
                "sex": "male",
                "age": "24",
                "home_place_id": _place("bab_sbaa"),
                "description": "طويل، يرتدي سترة رمادية / tall, grey jacket",
                "disappearance_type": "arrested_detained",
                "last_seen_date": d.day(BAB_SBAA),
                "last_seen_place_id": _place("bab_sbaa"),
                "last_seen_location_detail": "حاجز مدخل باب السباع",
                "circumstances": (
                    "أُنزل من السيارة على الحاجز مع شابين آخرين.\n"
                    "Taken out of the car at the checkpoint with two other young men."
                ),
                "holding_party_type": "state_forces",
                "whereabouts_status": "capture_denied",
                "fate_status": "detained_held",
                "fate_status_date": d.day(BAB_SBAA),
                "enquirer_relationship": "parent",
                "enquirer_name": "سهام الخطيب (أم سامر)",
                "enquirer_contact": "+963 9xx xxx 101",
                "consent_to_disclose_whereabouts": "yes",
                "consent_scope": ["internal", "tracing_agency"],
                "source_type": "family",
                "notes": [
                    _note(
                        "samer-1",
                        "information_sought",
                        "والدته تبحث عن أي خبر عنه. / His mother is seeking any news of him.",
                        d.day(BAB_SBAA - 1),
                        "لينا",
                        False,
                    ),
                    _note(
                        "samer-2",
                        "believed_alive",
                        "معتقل سابق رآه في فرع الأمن. / A former detainee saw him in custody.",
                        d.day(BAB_SBAA - 12),
                        "عمر",
                        False,
                    ),
                ],
            },
        ),
        (
            "missing:bab-sbaa-mazen-abdullah",
            "homs-reporter-2",
            {
                **base,
                "full_name": "مازن رياض العبد الله",
                "full_name_latin": "Mazen Riyad al-Abdullah",
                "sex": "male",
                "age": "19-21",
                "home_place_id": _place("bab_sbaa"),
                "disappearance_type": "arrested_detained",
                "last_seen_date": d.day(BAB_SBAA),
                "last_seen_place_id": _place("bab_sbaa"),
                "holding_party_type": "state_forces",
                "whereabouts_status": "not_applicable",
                "fate_status": "released",
                "fate_status_date": d.day(BAB_SBAA - 9),
                "case_status": "closed_resolved",
                "enquirer_relationship": "sibling",
                "enquirer_name": "رياض العبد الله",
                "consent_to_disclose_whereabouts": "yes",
                "consent_scope": ["internal", "partners"],
                "source_type": "victim",
                "notes": [
                    _note(
                        "mazen-1",
                        "is_note_author",
                        "أُفرج عني وأنا في البيت. / I was released and am at home.",
                        d.day(BAB_SBAA - 9),
                        "مازن",
                        True,
                    )
                ],
            },
        ),
        (
            "missing:khaldiyeh-nour-zahrawi",
            "homs-coordinator",
            {
                **base,
                "full_name": "نور الهدى أحمد الزهراوي",
                "full_name_latin": "Nour al-Huda Ahmad al-Zahrawi",
                "sex": "female",
                "age": "19",
                "home_place_id": _place("khaldiyeh"),
                "disappearance_type": "missing_unknown",
                "last_seen_date": d.day(KHALDIYEH),
                "last_seen_place_id": _place("khaldiyeh"),
                "circumstances": "خرجت إلى الملجأ أثناء القصف ولم تصل. / Left for the shelter "
                "during the shelling and never arrived.",
                "fate_status": "missing",
                "enquirer_relationship": "parent",
                "enquirer_name": "أحمد الزهراوي",
                "consent_to_disclose_whereabouts": "not_asked",
                "source_type": "family",
                "assigned_to": users["homs-reporter-1"].id,
                "notes": [
                    _note(
                        "nour-1",
                        "believed_missing",
                        "لم تُسجَّل في أي مستشفى ميداني. / Not on any field hospital list.",
                        d.day(KHALDIYEH - 3),
                        "لينا",
                        False,
                    )
                ],
            },
        ),
        (
            # Believed dead, family not yet told: kept out of every export.
            "missing:walid-homsi-believed-dead",
            "homs-coordinator",
            {
                **base,
                "full_name": "وليد سليم الحمصي",
                "full_name_latin": "Walid Salim al-Homsi",
                "sex": "male",
                "age": "45",
                "home_place_id": _place("jurat_al_shayah"),
                "disappearance_type": "suspected_enforced_disappearance",
                "last_seen_date": d.day(KHALDIYEH + 10),
                "last_seen_place_id": _place("jurat_al_shayah"),
                "holding_party_type": "unknown",
                "whereabouts_status": "unknown",
                "fate_status": "believed_dead",
                "fate_status_date": d.day(15),
                "family_notified": False,
                "consent_scope": ["internal"],
                "source_type": "eyewitness",
                "sensitivity": "confidential",
                "notes": [
                    _note(
                        "walid-1",
                        "believed_dead",
                        "شاهد يقول إنه رأى جثمانه؛ لم تُبلَّغ العائلة بعد. / A witness says he "
                        "saw his body; the family has not been told.",
                        d.day(15),
                        "رنا",
                        False,
                    )
                ],
            },
        ),
        (
            "missing:inshaat-layla-child",
            "homs-reporter-1",
            {
                **base,
                "full_name": "ليلى حسام الدين",
                "full_name_latin": "Layla Hussam al-Din",
                "sex": "female",
                "age": "7-9",
                "home_place_id": _place("inshaat"),
                "disappearance_type": "separated_lost_contact",
                "last_seen_date": d.day(BAB_AMR),
                "last_seen_place_id": _place("bab_amr"),
                "fate_status": "located_alive",
                "fate_status_date": d.day(BAB_AMR - 4),
                "case_status": "pending_verification",
                "enquirer_relationship": "other_relative",
                "enquirer_name": "عمّتها / her aunt",
                "consent_to_disclose_whereabouts": "yes",
                "consent_scope": ["internal", "partners", "tracing_agency"],
                "source_type": "family",
            },
        ),
        (
            "missing:hama-ayham-masri",
            "hama-coordinator",
            {
                **base,
                "full_name": "أيهم فراس المصري",
                "full_name_latin": "Ayham Firas al-Masri",
                "sex": "male",
                "age": "28",
                "home_place_id": _place("hama"),
                "disappearance_type": "arrested_detained",
                "last_seen_date": d.day(HAMA_DAY + 20),
                "last_seen_place_id": _place("hama"),
                "holding_party_type": "state_forces",
                "fate_status": "detained_held",
                "source_type": "family",
            },
        ),
    ]


def _supply_needs(d: _Days) -> list[tuple[str, str, dict[str, Any]]]:
    hikma = {
        "kind": "supply_need",
        "request_id": demo_id("request:hikma-blood"),
        "requesting_site_type": "hospital",
        "requesting_org": "مستشفى الحكمة / Al-Hikma hospital",
        "sector": "health",
        "item_category": "blood_product",
        "item_name": "أكياس دم / Blood bags",
        "unit": "bag_450ml",
        "blood_component": "whole_blood",
        "place_id": _place("khaldiyeh"),
        "geo_precision": "neighbourhood",
        "source_type": "medical_record",
    }
    bakery = {
        "kind": "supply_need",
        "request_id": demo_id("request:khaldiyeh-bakery"),
        "requesting_site_type": "bakery",
        "requesting_org": "مخبز الخالدية الآلي / Khaldiyeh automatic bakery",
        "place_id": _place("khaldiyeh"),
        "geo_precision": "neighbourhood",
        "occurred_date": d.day(10),
        "reported_at": d.at(10, 8),
        "source_type": "team_observation",
    }
    field_hospital = {
        "kind": "supply_need",
        "request_id": demo_id("request:bab-amr-field-hospital"),
        "requesting_site_type": "field_hospital",
        "requesting_org": "المستشفى الميداني في بابا عمرو / Bab Amr field hospital",
        "place_id": _place("bab_amr"),
        "geo_precision": "neighbourhood",
        "occurred_date": d.day(6),
        "reported_at": d.at(6, 21),
        "source_type": "medical_record",
    }
    return [
        (
            # The critical line that has waited longest.
            "need:hikma-blood-o-neg",
            "homs-coordinator",
            {
                **hikma,
                "blood_group": "O-",
                "quantity_needed": 200,
                "quantity_committed": 40,
                "quantity_delivered": 20,
                "people_in_need": 60,
                "priority": "critical",
                "timeframe": "0_12h",
                "needed_by": d.day(KHALDIYEH - 2),
                "status": "partially_fulfilled",
                "stock_on_hand": 3,
                "occurred_date": d.day(KHALDIYEH - 1),
                "reported_at": d.at(KHALDIYEH - 1, 7),
            },
        ),
        (
            "need:hikma-blood-o-pos",
            "homs-reporter-2",
            {
                **hikma,
                "blood_group": "O+",
                "quantity_needed": 150,
                "quantity_committed": 150,
                "quantity_delivered": 150,
                "priority": "high",
                "timeframe": "12_24h",
                "status": "fulfilled",
                "occurred_date": d.day(14),
                "reported_at": d.at(14, 9),
            },
        ),
        (
            # Two devices report two different quantities: an open conflict.
            "need:hikma-blood-a-pos",
            "homs-reporter-2",
            {
                **hikma,
                "blood_group": "A+",
                "quantity_needed": 80,
                "priority": "high",
                "timeframe": "1_2d",
                "status": "open",
                "occurred_date": d.day(5),
                "reported_at": d.at(5, 9),
            },
        ),
        (
            "need:hikma-blood-b-pos",
            "homs-reporter-2",
            {
                **hikma,
                "blood_group": "B+",
                "quantity_needed": 40,
                "quantity_committed": 10,
                "priority": "medium",
                "timeframe": "2_4d",
                "status": "open",
                "occurred_date": d.day(5),
                "reported_at": d.at(5, 9),
            },
        ),
        (
            "need:hikma-blood-ab-neg",
            "homs-reporter-2",
            {
                **hikma,
                "blood_group": "AB-",
                "quantity_needed": 10,
                "priority": "medium",
                "timeframe": "5_7d",
                "status": "open",
                "occurred_date": d.day(5),
                "reported_at": d.at(5, 9),
            },
        ),
        (
            "need:field-hospital-ceftriaxone",
            "homs-reporter-2",
            {
                **field_hospital,
                "sector": "health",
                "item_category": "medicine",
                "item_name": "سيفترياكسون ١ غ حقن / Ceftriaxone 1 g injection",
                "unit": "vial",
                "quantity_needed": 500,
                "quantity_committed": 200,
                "priority": "high",
                "timeframe": "1_2d",
                "status": "open",
            },
        ),
        (
            "need:field-hospital-gauze",
            "homs-reporter-2",
            {
                **field_hospital,
                "sector": "health",
                "item_category": "medical_consumable",
                "item_name": "شاش جراحي / Surgical gauze",
                "unit": "roll",
                "quantity_needed": 300,
                "priority": "medium",
                "status": "open",
            },
        ),
        (
            "need:field-hospital-generator-diesel",
            "homs-reporter-2",
            {
                **field_hospital,
                "sector": "energy_fuel",
                "item_category": "fuel_power",
                "item_name": "مازوت للمولّدة / Diesel for the generator",
                "unit": "litre",
                "quantity_needed": 2000,
                "quantity_committed": 1000,
                "quantity_delivered": 500,
                "priority": "critical",
                "timeframe": "0_12h",
                "status": "partially_fulfilled",
            },
        ),
        (
            # The same line typed twice: deleted on one device, edited on another.
            "need:field-hospital-generator-diesel-duplicate",
            "homs-reporter-2",
            {
                **field_hospital,
                "sector": "energy_fuel",
                "item_category": "fuel_power",
                "item_name": "مازوت مولدة / Generator diesel",
                "unit": "litre",
                "quantity_needed": 2000,
                "priority": "high",
                "status": "open",
            },
        ),
        (
            "need:bakery-flour",
            "homs-reporter-1",
            {
                **bakery,
                "sector": "food_security",
                "item_category": "food",
                "item_name": "طحين / Wheat flour",
                "unit": "50kg_sack",
                "quantity_needed": 120,
                "quantity_committed": 60,
                "quantity_delivered": 30,
                "people_in_need": 9000,
                "priority": "high",
                "timeframe": "2_4d",
                "status": "partially_fulfilled",
            },
        ),
        (
            "need:bakery-diesel",
            "homs-reporter-1",
            {
                **bakery,
                "sector": "energy_fuel",
                "item_category": "fuel_power",
                "item_name": "مازوت للأفران / Diesel for the ovens",
                "unit": "litre",
                "quantity_needed": 1500,
                "priority": "high",
                "timeframe": "1_2d",
                "status": "open",
            },
        ),
        (
            "need:inshaat-shelter-infant-formula",
            "homs-reporter-1",
            {
                "kind": "supply_need",
                "requesting_site_type": "shelter",
                "requesting_org": "مركز إيواء مدرسة الإنشاءات / Inshaat school shelter",
                "sector": "nutrition",
                "item_category": "infant_nutrition",
                "item_name": "حليب أطفال / Infant formula",
                "unit": "400g_tin",
                "quantity_needed": 90,
                "people_in_need": 30,
                "priority": "critical",
                "timeframe": "12_24h",
                "status": "open",
                "place_id": _place("inshaat"),
                "occurred_date": d.day(3),
                "reported_at": d.at(3, 10),
                "source_type": "team_observation",
            },
        ),
        (
            "need:hama-national-hospital-iv-fluids",
            "hama-coordinator",
            {
                "kind": "supply_need",
                "requesting_site_type": "hospital",
                "requesting_org": "مستشفى حماة الوطني / Hama national hospital",
                "sector": "health",
                "item_category": "medical_consumable",
                "item_name": "محلول ملحي / Normal saline 0.9%",
                "unit": "bag_500ml",
                "quantity_needed": 400,
                "priority": "medium",
                "status": "open",
                "place_id": _place("hama"),
                "occurred_date": d.day(8),
                "source_type": "partner",
            },
        ),
    ]


# --- conflicts made by offline devices -------------------------------------------------


@dataclass(frozen=True)
class OfflineEdit:
    username: str
    device: str  # a name for the user's device ("phone", "tablet")
    action: str  # patch | delete
    body: dict[str, Any]  # REST-shaped fields for a patch; the change patch for a delete


@dataclass(frozen=True)
class Scenario:
    key: str
    record: str  # key of the record both devices edit
    edits: tuple[OfflineEdit, ...]


CONFLICTS = (
    Scenario(
        "casualty-name-spellings",
        "casualty:khaldiyeh-mustafa-shami",
        (
            OfflineEdit(
                "homs-reporter-1",
                "phone",
                "patch",
                {"full_name": "مصطفى حسن الشامي", "full_name_latin": "Mustafa Hasan al-Shami"},
            ),
            OfflineEdit(
                "homs-coordinator",
                "tablet",
                "patch",
                {"full_name": "مصطفى حسين الشامي", "full_name_latin": "Mustafa Hussein al-Shami"},
            ),
        ),
    ),
    Scenario(
        "need-quantity",
        "need:hikma-blood-a-pos",
        (
            OfflineEdit("homs-reporter-2", "phone", "patch", {"quantity_needed": 100}),
            OfflineEdit("homs-coordinator", "tablet", "patch", {"quantity_needed": 120}),
        ),
    ),
    Scenario(
        "need-delete-vs-edit",
        "need:field-hospital-generator-diesel-duplicate",
        (
            OfflineEdit(
                "homs-reporter-2",
                "phone",
                "delete",
                {"reason": "مكرر / duplicate of the generator diesel line"},
            ),
            OfflineEdit(
                "homs-coordinator",
                "tablet",
                "patch",
                {"priority": "critical", "quantity_committed": 500},
            ),
        ),
    ),
)

CHANGE_CARRIED = ("id", "kind", "schema_version")


def _hub_changes(rid: str) -> list[Change]:
    bodies = db.session.scalars(
        sa.select(ChangeRow.body).where(ChangeRow.record_id == rid).order_by(ChangeRow.hub_seq)
    ).all()
    return [Change.from_dict(json.loads(b)) for b in bodies]


def _next_origin_seq(origin_id: str) -> int:
    top = db.session.scalar(
        sa.select(sa.func.max(ChangeRow.origin_seq)).where(ChangeRow.origin_id == origin_id)
    )
    return int(top or 0) + 1


def _make_conflict(
    scenario: Scenario, users: dict[str, User], team: Team, today: date, clock: Any
) -> bool:
    """Two devices pull the record, edit it offline, then push: returns False when done
    before (the changes' fixed op ids are held)."""
    op_ids = [demo_id(f"change:{scenario.key}:{i}") for i in range(len(scenario.edits))]
    held = db.session.scalar(sa.select(ChangeRow.op_id).where(ChangeRow.op_id.in_(op_ids)).limit(1))
    if held:
        return False
    rid = record_id(scenario.record)
    row = db.session.get(Record, rid)
    state = changelog.load_state(row)
    if row is None or state is None:
        raise DemoError(f"{scenario.key}: record {scenario.record} is missing")
    current = rest_values(row.kind, state.values)
    hub_changes = _hub_changes(rid)
    made: list[tuple[str, Change]] = []
    for op_id, edit in zip(op_ids, scenario.edits, strict=True):
        user = users[edit.username]
        origin = "dev-" + demo_id(f"device:{edit.username}:{edit.device}")
        replica = Replica(origin, user.id, clock=clock, new_id=iter([op_id]).__next__)
        replica.next_seq = _next_origin_seq(origin)
        replica.receive(hub_changes)  # the device synced before going offline
        if edit.action == "patch":
            try:
                cleaned = validate_record(
                    row.kind, edit.body, partial=True, current=current, today=today
                )
            except ValidationError as exc:
                raise DemoError(f"{scenario.key}: {exc.messages}") from exc
            fields = {k: v for k, v in cleaned.items() if k not in CHANGE_CARRIED}
            patch = diff_patch(row.kind, current, fields, replace=False)
        else:
            patch = dict(edit.body)
        change = replica.write(rid, row.kind, edit.action, patch)
        refusal = change_refusal(user.role_in(team.id), user.id, state, row.created_by, change)
        if refusal:
            raise DemoError(f"{scenario.key}: {edit.username}: {refusal}")
        made.append((origin, change))
    for origin, change in made:  # each device comes back online and pushes
        outcomes = changelog.write(
            [rid],
            lambda _states, c=change: [c],
            via=f"device:{origin}",
            team_of=lambda _c, _s: team.id,
            links=[change.patch.get("incident_id")],
        )
        if outcomes[0].status != "accepted":
            raise DemoError(f"{scenario.key}: push {outcomes[0].status}")
    return True


# --- loading ---------------------------------------------------------------------------


def _load_gazetteer(report: DemoReport) -> None:
    """Import the sample gazetteer unless every place in it is already there (an
    import of unchanged files would still write an audit event)."""
    for path in gazetteer.sample_files():
        with path.open(encoding="utf-8-sig", newline="") as stream:
            pcodes = [row.pcode for row in read_cod_csv(stream)]
        have = db.session.scalar(
            sa.select(sa.func.count()).select_from(Place).where(Place.pcode.in_(pcodes))
        )
        if have == len(set(pcodes)):
            report.gazetteer.append(f"{path.name}: all {have} places already there.")
            continue
        with path.open(encoding="utf-8-sig", newline="") as stream:
            result = gazetteer.import_cod(None, stream, source=f"demo:{path.name}")
        report.gazetteer.append(
            f"{path.name}: {result.places} places, {result.created} created, "
            f"{result.updated} renamed."
        )


def _teams(report: DemoReport) -> dict[str, Team]:
    teams = {}
    for key, name in TEAMS.items():
        team = db.session.scalar(sa.select(Team).where(Team.name == name))
        if team is None:
            team = accounts.create_team(None, name)
            report.teams_created.append(name)
        teams[key] = team
    return teams


def _users(report: DemoReport, teams: dict[str, Team]) -> dict[str, User]:
    users = {}
    for spec in USERS:
        team = teams[spec.team]
        user = db.session.scalar(sa.select(User).where(User.username == spec.username))
        if user is None:
            user, password = accounts.create_user(
                None,
                spec.username,
                display_name=spec.display_name,
                memberships=[{"team_id": team.id, "role": spec.role}],
            )
            report.passwords[spec.username] = password
        elif user.role_in(team.id) is None:
            wanted = [{"team_id": m.team_id, "role": m.role} for m in user.memberships]
            accounts.update_user(
                None, user, {"memberships": [*wanted, {"team_id": team.id, "role": spec.role}]}
            )
        users[spec.username] = user
        report.users.append(spec)
    return users


def _totals(report: DemoReport, teams: dict[str, Team]) -> None:
    by_team = {t.id: t.name for t in teams.values()}
    rows = db.session.execute(
        sa.select(Record.team_id, Record.kind, sa.func.count())
        .where(Record.team_id.in_(by_team), Record.visible.is_(True), Record.kind != "")
        .group_by(Record.team_id, Record.kind)
    ).all()
    report.totals = {name: {} for name in by_team.values()}
    for team_id, kind, n in rows:
        report.totals[by_team[team_id]][kind] = n
    report.open_conflicts = (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Record)
            .where(Record.team_id.in_(by_team), Record.has_conflicts.is_(True))
        )
        or 0
    )


def demo_records(today: date, users: dict[str, User]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every demo record as (key, username of its author, REST body), parents first."""
    d = _Days(today)
    return [*_incidents(d), *_casualties(d), *_missing_persons(d, users), *_supply_needs(d)]


def load_demo(today: date | None = None) -> DemoReport:
    """Load the demo data set into the current database; safe to run again."""
    today = today or records.today()
    report = DemoReport()
    _load_gazetteer(report)
    teams = _teams(report)
    users = _users(report, teams)
    team_of_user = {spec.username: teams[spec.team] for spec in USERS}

    for key, username, body in demo_records(today, users):
        rid = record_id(key)
        row = db.session.get(Record, rid)
        if row is not None and row.state:
            report.existing += 1
            continue
        user = users[username]
        principal = Principal(user=user, via="cli")
        records.create(principal, {**body, "id": rid, "team_id": team_of_user[username].id})
        report.created[body["kind"]] += 1

    start = int(datetime.now(UTC).timestamp() * 1000)
    clock = itertools.count(start, 1000).__next__
    for scenario in CONFLICTS:
        if _make_conflict(scenario, users, teams["homs"], today, clock):
            report.conflicts_made.append(scenario.key)

    _totals(report, teams)
    return report
