"""Controlled vocabularies of the four record kinds, with Arabic and English labels.

Records store codes (lowercase snake_case; blood groups as written on the bag: ``O-``,
``AB+``); people read labels. This module is the one place codes and labels are written
down: the marshmallow schemas take their allowed values from here, and the offline app
fetches ``vocabulary_payload()`` so forms, filters and error messages show the same words.
It holds data only: it must never import the database, Flask or the schemas.

Values follow ``docs/data-model.md`` (itself taken from the shared DATA-MODEL and the
standards research: Every Casualty Standards, VDC practice, HURIDOCS, PFIF 1.4, Sahana Eden).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DEFAULT_SENSITIVITY",
    "ERROR_MESSAGES",
    "FIELD_LABELS",
    "FIELD_MESSAGES",
    "VOCABULARIES",
    "codes",
    "vocabulary_payload",
]

Label = dict[str, str]


def _l(en: str, ar: str) -> Label:
    return {"en": en, "ar": ar}


# Who holds the weapon or the person. Kept deliberately coarse: a named unit or actor is
# an allegation that belongs in internal notes, not a code partners aggregate on.
_ARMED_ACTORS: dict[str, Label] = {
    "state_forces": _l("State forces", "القوات الحكومية"),
    "allied_foreign_forces": _l(
        "Foreign forces allied with state forces", "قوات أجنبية حليفة للقوات الحكومية"
    ),
    "pro_government_militia": _l("Pro-government militia", "ميليشيا موالية للحكومة"),
    "opposition_armed_group": _l("Opposition armed group", "فصيل معارض مسلح"),
    "other_non_state_armed_group": _l(
        "Other non-state armed group", "جماعة مسلحة أخرى من غير الدول"
    ),
    "unknown": _l("Unknown", "غير معروف"),
}

VOCABULARIES: dict[str, dict[str, Label]] = {
    "kind": {
        "incident": _l("Incident", "حادثة"),
        "casualty": _l("Casualty (killed or injured)", "ضحية (قتيل أو جريح)"),
        "missing_person": _l("Missing or detained person", "شخص مفقود أو محتجز"),
        "supply_need": _l("Supply need", "احتياج"),
    },
    "geo_precision": {
        "exact": _l("Exact location", "موقع دقيق"),
        "near": _l("Near (within 1 km)", "بالقرب (ضمن كيلومتر واحد)"),
        "neighbourhood": _l("Neighbourhood", "حي"),
        "community": _l("Town or village", "مدينة أو بلدة أو قرية"),
        "subdistrict": _l("Sub-district", "ناحية"),
        "district": _l("District", "منطقة"),
        "governorate": _l("Governorate", "محافظة"),
        "unknown": _l("Unknown", "غير معروف"),
    },
    "occurred_date_precision": {
        "day": _l("Exact day", "يوم محدد"),
        "week": _l("Within a week", "خلال أسبوع"),
        "month": _l("Month", "شهر"),
        "year": _l("Year", "سنة"),
        "estimate": _l("Estimate", "تقديري"),
        "unknown": _l("Unknown", "غير معروف"),
    },
    "source_type": {
        "team_observation": _l("Team's own observation", "مشاهدة مباشرة من الفريق"),
        "victim": _l("Victim", "الضحية نفسها"),
        "family": _l("Family member", "أحد أفراد العائلة"),
        "eyewitness": _l("Eyewitness", "شاهد عيان"),
        "medical_record": _l("Medical record", "سجل طبي"),
        "morgue_or_burial_record": _l("Morgue or burial record", "سجل مشرحة أو دفن"),
        "council_record": _l("Local council record", "سجل المجلس المحلي"),
        "official_statement": _l("Official statement", "بيان رسمي"),
        "partner": _l("Partner organisation", "منظمة شريكة"),
        "media": _l("Media", "وسائل الإعلام"),
        "social_media": _l("Social media", "وسائل التواصل الاجتماعي"),
        "other": _l("Other", "أخرى"),
        "unknown": _l("Unknown", "غير معروف"),
    },
    "verification_status": {
        "reported": _l("Reported, not yet assessed", "مُبلَّغ عنه، لم يُقيَّم بعد"),
        "single_source": _l("Single source", "مصدر واحد"),
        "corroborated": _l("Corroborated by independent sources", "معزَّز بمصادر مستقلة"),
        "confirmed": _l("Confirmed", "مؤكَّد"),
        "contested": _l("Contested", "متنازع عليه"),
        "discounted": _l("Discounted", "مُستبعَد"),
    },
    "sensitivity": {
        "public": _l("Public", "عام"),
        "restricted": _l("Restricted", "مقيَّد"),
        "confidential": _l("Confidential", "سري"),
        "strictly_confidential": _l("Strictly confidential", "سري للغاية"),
    },
    "outcome": {
        "killed": _l("Killed", "قتيل"),
        "injured": _l("Injured", "جريح"),
        "died_of_wounds": _l("Died of wounds", "توفي متأثراً بجراحه"),
    },
    "sex": {
        "female": _l("Female", "أنثى"),
        "male": _l("Male", "ذكر"),
        "other": _l("Other", "آخر"),
        "unknown": _l("Unknown", "غير معروف"),
    },
    "age_group": {
        "child": _l("Child (0–17)", "طفل (0–17)"),
        "adult": _l("Adult (18–59)", "بالغ (18–59)"),
        "elderly": _l("Elderly (60+)", "مسن (60 فما فوق)"),
        "unknown": _l("Unknown", "غير معروف"),
    },
    "civilian_status": {
        "civilian": _l("Civilian", "مدني"),
        "non_civilian": _l("Non-civilian", "غير مدني"),
        "unknown": _l("Unknown", "غير معروف"),
    },
    "cause": {
        "shelling_artillery": _l("Shelling (artillery)", "قصف مدفعي"),
        "air_strike": _l("Air strike", "غارة جوية"),
        "missile_rocket": _l("Missile or rocket", "صاروخ"),
        "gunfire_sniper": _l("Gunfire or sniper", "إطلاق نار أو قنص"),
        "explosion_ied_landmine_uxo": _l(
            "Explosion (IED, landmine, unexploded ordnance)",
            "انفجار (عبوة ناسفة، لغم، ذخيرة غير منفجرة)",
        ),
        "chemical": _l("Chemical weapon", "سلاح كيميائي"),
        "field_execution": _l("Field execution", "إعدام ميداني"),
        "death_in_detention_torture": _l(
            "Death in detention or under torture", "وفاة في الاحتجاز أو تحت التعذيب"
        ),
        "siege_deprivation": _l(
            "Siege deprivation (hunger, lack of medicine)", "الحصار (الجوع ونقص الدواء)"
        ),
        "building_collapse": _l("Building collapse", "انهيار مبنى"),
        "other": _l("Other", "أخرى"),
        "unknown": _l("Unknown", "غير معروف"),
    },
    "perpetrator_type": dict(_ARMED_ACTORS),
    "injury_severity": {
        "minor": _l("Minor", "طفيفة"),
        "serious": _l("Serious", "خطيرة"),
        "critical": _l("Critical", "حرجة"),
        "unknown": _l("Unknown", "غير معروفة"),
    },
    "facility_type": {
        "hospital": _l("Hospital", "مستشفى"),
        "field_hospital": _l("Field hospital", "مستشفى ميداني"),
        "clinic": _l("Clinic", "مستوصف"),
        "morgue": _l("Morgue", "مشرحة"),
        "none": _l("None", "لا يوجد"),
        "unknown": _l("Unknown", "غير معروف"),
    },
    "documentation": {
        "body_seen": _l("Body seen", "مشاهدة الجثمان"),
        "photo": _l("Photo", "صورة"),
        "video": _l("Video", "فيديو"),
        "medical_report": _l("Medical report", "تقرير طبي"),
        "death_certificate": _l("Death certificate", "شهادة وفاة"),
        "burial_record": _l("Burial record", "سجل دفن"),
        "family_testimony": _l("Family testimony", "شهادة العائلة"),
    },
    "disappearance_type": {
        "missing_unknown": _l("Missing, circumstances unknown", "مفقود، ظروف الفقدان مجهولة"),
        "arrested_detained": _l("Arrested or detained", "معتقل أو محتجز"),
        "abducted_kidnapped": _l("Abducted or kidnapped", "مخطوف"),
        "captured": _l("Captured", "أسير"),
        "suspected_enforced_disappearance": _l(
            "Suspected enforced disappearance", "يُشتبه بإخفائه قسرياً"
        ),
        "separated_lost_contact": _l("Separated, contact lost", "انقطع الاتصال به"),
    },
    "fate_status": {
        "missing": _l("Missing", "مفقود"),
        "detained_held": _l("Detained, held", "محتجز"),
        "released": _l("Released", "أُفرج عنه"),
        "located_alive": _l("Located alive", "عُثر عليه حياً"),
        "believed_dead": _l("Believed dead", "يُعتقد أنه متوفى"),
        "confirmed_dead": _l("Confirmed dead", "تأكدت وفاته"),
        "unknown": _l("Unknown", "غير معروف"),
    },
    "case_status": {
        "open": _l("Open", "مفتوحة"),
        "pending_verification": _l("Pending verification", "بانتظار التحقق"),
        "closed_resolved": _l("Closed, resolved", "مغلقة، حُلَّت"),
        "closed_unresolved": _l("Closed, unresolved", "مغلقة دون حل"),
        "transferred": _l("Transferred to a tracing agency", "أُحيلت إلى جهة للبحث عن المفقودين"),
    },
    "holding_party_type": dict(_ARMED_ACTORS),
    "whereabouts_status": {
        "capture_acknowledged_location_disclosed": _l(
            "Capture acknowledged, location disclosed", "الاحتجاز معترف به والمكان معلوم"
        ),
        "capture_acknowledged_location_undisclosed": _l(
            "Capture acknowledged, location undisclosed", "الاحتجاز معترف به والمكان غير معلن"
        ),
        "capture_denied": _l("Capture denied", "الاحتجاز منكَر"),
        "unknown": _l("Unknown", "غير معروف"),
        "not_applicable": _l("Not applicable", "لا ينطبق"),
    },
    "enquirer_relationship": {
        "parent": _l("Parent", "أحد الوالدين"),
        "spouse": _l("Spouse", "الزوج أو الزوجة"),
        "child": _l("Son or daughter", "الابن أو الابنة"),
        "sibling": _l("Brother or sister", "الأخ أو الأخت"),
        "other_relative": _l("Other relative", "قريب آخر"),
        "neighbour_friend": _l("Neighbour or friend", "جار أو صديق"),
        "self": _l("The person themself", "الشخص نفسه"),
        "official": _l("Official body", "جهة رسمية"),
        "other": _l("Other", "أخرى"),
    },
    "consent_to_disclose_whereabouts": {
        "yes": _l("Yes", "نعم"),
        "no": _l("No", "لا"),
        "not_asked": _l("Not asked yet", "لم يُسأل بعد"),
    },
    "consent_scope": {
        "internal": _l("Our team only", "فريقنا فقط"),
        "partners": _l("Partner organisations", "المنظمات الشريكة"),
        "tracing_agency": _l(
            "Tracing agency (e.g. ICRC)", "جهة البحث عن المفقودين (كالصليب الأحمر)"
        ),
        "public_listing": _l("Public listing", "النشر في القوائم العامة"),
    },
    "requesting_site_type": {
        "hospital": _l("Hospital", "مستشفى"),
        "field_hospital": _l("Field hospital", "مستشفى ميداني"),
        "primary_health_centre": _l("Primary health centre", "مركز رعاية صحية أولية"),
        "blood_bank": _l("Blood bank", "بنك دم"),
        "pharmacy": _l("Pharmacy", "صيدلية"),
        "bakery": _l("Bakery", "مخبز"),
        "community_kitchen": _l("Community kitchen", "مطبخ مجتمعي"),
        "shelter": _l("Shelter", "مركز إيواء"),
        "water_point": _l("Water point", "نقطة مياه"),
        "school": _l("School", "مدرسة"),
        "household_group": _l("Group of households", "مجموعة من الأسر"),
        "other": _l("Other", "أخرى"),
    },
    "sector": {
        "health": _l("Health", "الصحة"),
        "food_security": _l("Food security", "الأمن الغذائي"),
        "nutrition": _l("Nutrition", "التغذية"),
        "wash": _l("Water, sanitation and hygiene", "المياه والصرف الصحي والنظافة"),
        "shelter_nfi": _l("Shelter and non-food items", "المأوى والمواد غير الغذائية"),
        "protection": _l("Protection", "الحماية"),
        "education": _l("Education", "التعليم"),
        "logistics": _l("Logistics", "الخدمات اللوجستية"),
        "energy_fuel": _l("Energy and fuel", "الطاقة والوقود"),
        "other": _l("Other", "أخرى"),
    },
    "item_category": {
        "medicine": _l("Medicine", "أدوية"),
        "medical_consumable": _l("Medical consumable", "مستهلكات طبية"),
        "medical_equipment": _l("Medical equipment", "معدات طبية"),
        "blood_product": _l("Blood product", "منتجات الدم"),
        "medical_kit": _l("Medical kit", "حقيبة طبية"),
        "food": _l("Food", "مواد غذائية"),
        "infant_nutrition": _l("Infant nutrition", "تغذية الرضّع"),
        "water_treatment": _l("Water treatment", "معالجة المياه"),
        "hygiene": _l("Hygiene items", "مواد النظافة"),
        "shelter_nfi": _l("Shelter and non-food items", "المأوى والمواد غير الغذائية"),
        "fuel_power": _l("Fuel and power", "الوقود والكهرباء"),
        "other": _l("Other", "أخرى"),
    },
    "priority": {
        "low": _l("Low", "منخفضة"),
        "medium": _l("Medium", "متوسطة"),
        "high": _l("High", "عالية"),
        "critical": _l("Critical (life-saving)", "حرجة (منقذة للحياة)"),
    },
    "timeframe": {
        "0_12h": _l("Within 12 hours", "خلال 12 ساعة"),
        "12_24h": _l("12 to 24 hours", "من 12 إلى 24 ساعة"),
        "1_2d": _l("1 to 2 days", "من يوم إلى يومين"),
        "2_4d": _l("2 to 4 days", "من 2 إلى 4 أيام"),
        "5_7d": _l("5 to 7 days", "من 5 إلى 7 أيام"),
        "gt_1w": _l("More than a week", "أكثر من أسبوع"),
    },
    "status": {
        "open": _l("Open", "مفتوح"),
        "partially_fulfilled": _l("Partially fulfilled", "مُلبّى جزئياً"),
        "fulfilled": _l("Fulfilled", "مُلبّى"),
        "cancelled": _l("Cancelled", "ملغى"),
    },
    "blood_component": {
        "whole_blood": _l("Whole blood", "دم كامل"),
        "packed_red_cells": _l("Packed red cells", "كريات حمراء مركزة"),
        "plasma": _l("Plasma", "بلازما"),
        "platelets": _l("Platelets", "صفيحات دموية"),
        "empty_collection_bag": _l("Empty blood collection bags", "أكياس فارغة لجمع الدم"),
        "transfusion_set": _l("Transfusion set", "جهاز نقل دم"),
    },
    "blood_group": {
        "O-": _l("O negative", "O سالب"),
        "O+": _l("O positive", "O موجب"),
        "A-": _l("A negative", "A سالب"),
        "A+": _l("A positive", "A موجب"),
        "B-": _l("B negative", "B سالب"),
        "B+": _l("B positive", "B موجب"),
        "AB-": _l("AB negative", "AB سالب"),
        "AB+": _l("AB positive", "AB موجب"),
        "any": _l("Any group", "أي زمرة"),
    },
    "event_type": {
        "shelling_artillery_missile": _l(
            "Shelling, artillery or missile attack", "قصف مدفعي أو صاروخي"
        ),
        "air_drone_strike": _l("Air or drone strike", "غارة جوية أو بطائرة مسيّرة"),
        "remote_explosive": _l(
            "Remote explosive, landmine or IED", "تفجير عن بُعد أو لغم أو عبوة ناسفة"
        ),
        "chemical_weapon": _l("Chemical weapon", "سلاح كيميائي"),
        "armed_clash": _l("Armed clash", "اشتباك مسلح"),
        "attack_on_civilians": _l("Attack on civilians", "هجوم على مدنيين"),
        "abduction_forced_disappearance": _l(
            "Abduction or forced disappearance", "خطف أو إخفاء قسري"
        ),
        "arrests": _l("Arrests", "اعتقالات"),
        "siege_deprivation": _l("Siege deprivation", "الحصار والحرمان"),
        "other": _l("Other", "أخرى"),
    },
    # PFIF 1.4 note status, used as-is so notes export without translation.
    "note_status": {
        "information_sought": _l("Seeking information", "يُبحث عن معلومات"),
        "is_note_author": _l("I am this person", "أنا هذا الشخص"),
        "believed_alive": _l("Believed alive", "يُعتقد أنه على قيد الحياة"),
        "believed_missing": _l("Believed missing", "يُعتقد أنه مفقود"),
        "believed_dead": _l("Believed dead", "يُعتقد أنه متوفى"),
    },
}

# What a new record starts at when the device says nothing. Anyone may raise it; only a
# coordinator lowers it (enforced by the service, not here).
# - incident: restricted. Counts by place and date usually become public aggregates, but
#   the record itself carries descriptions and exact places that can expose witnesses.
# - casualty: confidential. It names a person (standards: named lists are confidential).
# - missing_person: confidential. Names, detention details and enquirers; not strictly
#   confidential, because that would keep it off the device of the reporter following it.
# - supply_need: restricted. Stock levels and facility needs are targeting information
#   in a siege.
DEFAULT_SENSITIVITY: dict[str, str] = {
    "incident": "restricted",
    "casualty": "confidential",
    "missing_person": "confidential",
    "supply_need": "restricted",
}

FIELD_LABELS: dict[str, Label] = {
    # Every record
    "id": _l("Record id", "معرّف السجل"),
    "kind": _l("Record kind", "نوع السجل"),
    "schema_version": _l("Schema version", "إصدار المخطط"),
    "team_id": _l("Team", "الفريق"),
    "place_id": _l("Place", "المكان"),
    "location_detail": _l("Location details", "تفاصيل الموقع"),
    "lat": _l("Latitude", "خط العرض"),
    "lon": _l("Longitude", "خط الطول"),
    "geo_precision": _l("Location precision", "دقة الموقع"),
    "occurred_date": _l("Date it happened", "تاريخ الحدوث"),
    "occurred_date_precision": _l("Date precision", "دقة التاريخ"),
    "reported_at": _l("Reported at", "وقت الإبلاغ"),
    "source_type": _l("Source type", "نوع المصدر"),
    "source_count": _l("Independent sources", "عدد المصادر المستقلة"),
    "verification_status": _l("Verification", "حالة التحقق"),
    "sensitivity": _l("Sensitivity", "درجة الحساسية"),
    "internal_notes": _l("Internal notes", "ملاحظات داخلية"),
    "assigned_to": _l("Assigned to", "مُسنَد إلى"),
    # Incident
    "event_type": _l("Event type", "نوع الحدث"),
    "perpetrator_type": _l("Perpetrator type", "نوع الجهة المسؤولة"),
    "killed_min": _l("Killed (at least)", "عدد القتلى (الحد الأدنى)"),
    "killed_max": _l("Killed (at most)", "عدد القتلى (الحد الأعلى)"),
    "injured_min": _l("Injured (at least)", "عدد الجرحى (الحد الأدنى)"),
    "injured_max": _l("Injured (at most)", "عدد الجرحى (الحد الأعلى)"),
    "missing_min": _l("Missing (at least)", "عدد المفقودين (الحد الأدنى)"),
    "missing_max": _l("Missing (at most)", "عدد المفقودين (الحد الأعلى)"),
    "description": _l("Description", "الوصف"),
    # Persons
    "outcome": _l("Killed or injured", "الحالة (قتيل أو جريح)"),
    "count": _l("Number of people", "عدد الأشخاص"),
    "full_name": _l("Full name (original script)", "الاسم الكامل"),
    "full_name_latin": _l("Full name (Latin letters)", "الاسم الكامل بالأحرف اللاتينية"),
    "given_name": _l("Given name", "الاسم الأول"),
    "father_name": _l("Father's name", "اسم الأب"),
    "family_name": _l("Family name", "الكنية"),
    "mother_name": _l("Mother's name", "اسم الأم"),
    "alternate_names": _l("Other names", "أسماء أخرى"),
    "sex": _l("Sex", "الجنس"),
    "date_of_birth": _l("Date of birth", "تاريخ الميلاد"),
    "age_years": _l("Age (years)", "العمر (بالسنوات)"),
    "age_group": _l("Age group", "الفئة العمرية"),
    "age": _l("Age or age range", "العمر أو مجال العمر"),
    "civilian_status": _l("Civilian status", "الصفة (مدني أو غير مدني)"),
    "cause": _l("Cause", "السبب"),
    "injury_severity": _l("Injury severity", "شدة الإصابة"),
    "date_of_death": _l("Date of death", "تاريخ الوفاة"),
    "facility_type": _l("Facility", "المنشأة"),
    "documentation": _l("Documentation", "التوثيق"),
    "incident_id": _l("Incident", "الحادثة"),
    "home_place_id": _l("Home place", "مكان السكن"),
    "disappearance_type": _l("Type of disappearance", "نوع الفقدان"),
    "last_seen_date": _l("Last seen on", "تاريخ آخر مشاهدة"),
    "last_seen_place_id": _l("Last seen place", "مكان آخر مشاهدة"),
    "last_seen_location_detail": _l("Last seen: details", "تفاصيل مكان آخر مشاهدة"),
    "circumstances": _l("Circumstances", "الظروف"),
    "holding_party_type": _l("Holding party", "الجهة المحتجِزة"),
    "whereabouts_status": _l("Whereabouts", "معلومات مكان الوجود"),
    "fate_status": _l("Fate", "المصير"),
    "fate_status_date": _l("Fate known since", "تاريخ معرفة المصير"),
    "case_status": _l("Case status", "حالة الملف"),
    "enquirer_relationship": _l("Enquirer's relationship", "صلة السائل بالشخص"),
    "enquirer_name": _l("Enquirer's name", "اسم السائل"),
    "enquirer_contact": _l("Enquirer's contact", "وسيلة التواصل مع السائل"),
    "consent_to_disclose_whereabouts": _l(
        "Consent to disclose whereabouts", "الموافقة على الإفصاح عن مكان الوجود"
    ),
    "consent_scope": _l("May be shared with", "يجوز مشاركته مع"),
    "family_notified": _l("Family notified", "أُبلغت العائلة"),
    "notes": _l("Notes", "الملاحظات"),
    # A missing person's note (PFIF-shaped)
    "note_id": _l("Note id", "معرّف الملاحظة"),
    "status": _l("Status", "الحالة"),
    "text": _l("Text", "النص"),
    "author_made_contact": _l("Author was in contact", "تواصل الكاتب مع الشخص"),
    "date": _l("Date", "التاريخ"),
    "author_name": _l("Author", "الكاتب"),
    # Supply need
    "request_id": _l("Request", "الطلب"),
    "requesting_site_type": _l("Requesting site", "الجهة الطالبة"),
    "requesting_org": _l("Requesting organisation", "المنظمة الطالبة"),
    "sector": _l("Sector", "القطاع"),
    "item_category": _l("Item category", "فئة المادة"),
    "item_name": _l("Item", "المادة"),
    "unit": _l("Unit", "الوحدة"),
    "quantity_needed": _l("Quantity needed", "الكمية المطلوبة"),
    "quantity_committed": _l("Quantity committed", "الكمية الملتزم بها"),
    "quantity_delivered": _l("Quantity delivered", "الكمية المسلَّمة"),
    "people_in_need": _l("People in need", "عدد المحتاجين"),
    "priority": _l("Priority", "الأولوية"),
    "timeframe": _l("Needed within", "مطلوب خلال"),
    "needed_by": _l("Needed by", "مطلوب قبل"),
    "blood_component": _l("Blood component", "مكوّن الدم"),
    "blood_group": _l("Blood group", "زمرة الدم"),
    "stock_on_hand": _l("Stock on hand", "المخزون المتوفر"),
}

# One human sentence per stable error code. The API sends English; the browser shows
# the text for the code in the user's language.
ERROR_MESSAGES: dict[str, Label] = {
    "required": _l("This field is required.", "هذا الحقل مطلوب."),
    "null": _l("This field may not be empty.", "لا يجوز ترك هذا الحقل فارغاً."),
    "unknown_field": _l("Unknown field.", "حقل غير معروف."),
    "invalid_type": _l("Wrong type of value.", "نوع القيمة غير صحيح."),
    "not_in_vocabulary": _l("Not one of the allowed values.", "ليست من القيم المسموح بها."),
    "wrong_kind": _l("Does not match the record kind.", "لا يطابق نوع السجل."),
    "unsupported_version": _l("This schema version is not supported.", "إصدار المخطط غير مدعوم."),
    "invalid_id": _l("Not a valid identifier (UUID).", "معرّف غير صالح."),
    "too_long": _l("Too long.", "النص أطول من المسموح."),
    "bad_characters": _l(
        "Contains characters that are not allowed.", "يحتوي على محارف غير مسموح بها."
    ),
    "not_a_number": _l("Not a valid number.", "ليس رقماً صالحاً."),
    "not_an_integer": _l("Not a whole number.", "ليس عدداً صحيحاً."),
    "out_of_range": _l("Outside the allowed range.", "خارج المجال المسموح."),
    "too_many_decimals": _l("Too many decimal places.", "عدد المنازل العشرية أكثر من المسموح."),
    "invalid_date": _l(
        "Use a date as YYYY, YYYY-MM or YYYY-MM-DD.",
        "اكتب التاريخ بالشكل سنة أو سنة-شهر أو سنة-شهر-يوم.",
    ),
    "impossible_date": _l("This date does not exist.", "هذا التاريخ غير موجود في التقويم."),
    "invalid_datetime": _l(
        "Not a valid date and time with time zone.", "ليس تاريخاً ووقتاً صالحين مع المنطقة الزمنية."
    ),
    "invalid_age": _l(
        "Write an age as N or N-M (0 to 130).", "اكتب العمر بالشكل ن أو ن-م (من 0 إلى 130)."
    ),
    "duplicate": _l("Listed more than once.", "مكرر."),
    "not_a_list": _l("Should be a list.", "يجب أن يكون قائمة."),
    # Cross-field rules (see app/schemas/record_rules.py)
    "range_reversed": _l(
        "The lower value is greater than the higher one.", "القيمة الدنيا أكبر من القيمة العليا."
    ),
    "date_order": _l(
        "This date is before the date it must follow.", "هذا التاريخ يسبق تاريخاً يجب أن يليه."
    ),
    "not_applicable": _l("Does not apply to this record.", "لا ينطبق على هذا السجل."),
    "age_group_mismatch": _l(
        "The age group does not match the age.", "الفئة العمرية لا تطابق العمر."
    ),
    "in_future": _l("This date is in the future.", "هذا التاريخ في المستقبل."),
    "precision_mismatch": _l(
        "The date is less precise than stated.", "التاريخ أقل دقة مما هو مذكور."
    ),
}

# The record fields' own messages (app/schemas/records/common.py, kinds.py) as English
# template -> Arabic template; ``{name}`` stands for a value (a code list, a number, a date).
# The API answers with their Arabic (app/api/language.py), and the device receives them
# with the vocabularies to read a sync refusal that quotes them (static/js/reasons.js).
FIELD_MESSAGES: dict[str, str] = {
    "Must be a JSON object.": "يجب أن يكون كائن JSON.",
    "Not a text value.": "ليست قيمة نصية.",
    "Not a code.": "ليس رمزاً.",
    "Not true or false.": "ليست صح أو خطأ.",
    "Not a number like 34.7231.": "ليس رقماً مثل 34.7231.",
    "Not a date written as text.": "ليس تاريخاً مكتوباً نصاً.",
    "Use YYYY-MM-DD.": "اكتب التاريخ بالشكل سنة-شهر-يوم (YYYY-MM-DD).",
    "Use YYYY, YYYY-MM or YYYY-MM-DD.": (
        "اكتب التاريخ بالشكل سنة أو سنة-شهر أو سنة-شهر-يوم (YYYY أو YYYY-MM أو YYYY-MM-DD)."
    ),
    "Not a date and time written as text.": "ليس تاريخاً ووقتاً مكتوبين نصاً.",
    "Use YYYY-MM-DDTHH:MM:SSZ (UTC) or an offset.": (
        "اكتب الوقت بالشكل YYYY-MM-DDTHH:MM:SSZ (بالتوقيت العالمي) أو مع فرق التوقيت."
    ),
    "Longer than {n} characters.": "عدد الأحرف أكثر من {n}.",
    "Not one of: {choices}.": "ليست من: {choices}.",
    "Must be {value}.": "يجب أن تكون القيمة {value}.",
    "Must be between {min} and {max}.": "يجب أن تكون القيمة بين {min} و{max}.",
    "At most {n} decimal places.": "يجب ألا يزيد عدد المنازل العشرية على {n}.",
    "The year must be between {min} and {max}.": "يجب أن تكون السنة بين {min} و{max}.",
    "At most {n} entries.": "يجب ألا يزيد عدد العناصر على {n}.",
    "{value} is not a day of the calendar.": "{value} ليس يوماً في التقويم.",
    "{value} is not a real moment.": "{value} ليس وقتاً حقيقياً.",
    "{value} is listed twice.": "{value} مذكور مرتين.",
}


def codes(vocabulary: str) -> tuple[str, ...]:
    """Return the codes of ``vocabulary`` in display order."""
    return tuple(VOCABULARIES[vocabulary])


def vocabulary_payload() -> dict[str, Any]:
    """Return everything the offline app needs to label forms and errors, as JSON-ready data.

    ``vocabularies`` keep display order as lists of ``{code, en, ar}`` (JSON objects have
    no reliable order in every client); ``fields`` and ``errors`` map names to labels.
    """
    return {
        "vocabularies": {
            name: [{"code": code, **label} for code, label in values.items()]
            for name, values in VOCABULARIES.items()
        },
        "fields": {name: dict(label) for name, label in FIELD_LABELS.items()},
        "errors": {code: dict(label) for code, label in ERROR_MESSAGES.items()},
        "messages": dict(FIELD_MESSAGES),
        "default_sensitivity": dict(DEFAULT_SENSITIVITY),
    }


#: Outcomes counted as killed in every figure (the dashboard, an incident's linked sums,
#: public aggregates): a death from wounds is a death. The rest of an outcome is "injured".
KILLED_OUTCOMES = ("killed", "died_of_wounds")
