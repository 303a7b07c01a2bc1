"""Generated person names for the records benchmark: Arabic name chains and Latin spellings.

Names come from lists of common Levantine given and family names, drawn with a Zipf-like
weight (a few names are very common, many are rare), chained given + father (+ grandfather)
+ family, sometimes with بن/bin, and written the way people type them: with or without the
hamza on alef (أحمد/احمد, إبراهيم/ابراهيم), with ة or ه (فاطمة/فاطمه), with ى or ي, and
Latin transliterations in several spellings (Mohammad, Muhammad, Mohamed) with al-/el-.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# (Arabic, Latin spellings); the first Latin spelling is the most common one.
MALE: list[tuple[str, tuple[str, ...]]] = [
    ("محمد", ("Mohammad", "Muhammad", "Mohamed", "Mohammed")),
    ("أحمد", ("Ahmad", "Ahmed")),
    ("علي", ("Ali",)),
    ("محمود", ("Mahmoud", "Mahmud")),
    ("خالد", ("Khaled", "Khalid")),
    ("عمر", ("Omar", "Umar")),
    ("حسن", ("Hasan", "Hassan")),
    ("حسين", ("Hussein", "Husain")),
    ("يوسف", ("Yousef", "Yusuf")),
    ("إبراهيم", ("Ibrahim",)),
    ("مصطفى", ("Mustafa", "Moustafa")),
    ("عبد الله", ("Abdullah", "Abdallah")),
    ("عبد الرحمن", ("Abdulrahman", "Abdelrahman")),
    ("سامر", ("Samer",)),
    ("وليد", ("Walid", "Waleed")),
    ("فادي", ("Fadi",)),
    ("رامي", ("Rami",)),
    ("باسل", ("Basel", "Basil")),
    ("ماهر", ("Maher",)),
    ("أنس", ("Anas",)),
    ("عماد", ("Imad", "Emad")),
    ("جمال", ("Jamal",)),
    ("سليمان", ("Suleiman", "Sulaiman")),
    ("موسى", ("Musa", "Moussa")),
    ("عيسى", ("Issa", "Isa")),
    ("طارق", ("Tareq", "Tariq")),
    ("زياد", ("Ziad", "Ziyad")),
    ("نبيل", ("Nabil",)),
    ("هشام", ("Hisham",)),
    ("كريم", ("Karim", "Kareem")),
    ("أيمن", ("Ayman",)),
    ("بشار", ("Bashar",)),
    ("مازن", ("Mazen",)),
    ("غسان", ("Ghassan",)),
    ("صالح", ("Saleh", "Salih")),
    ("ناصر", ("Nasser",)),
    ("جهاد", ("Jihad",)),
    ("رياض", ("Riad", "Riyad")),
    ("عدنان", ("Adnan",)),
    ("منذر", ("Munther", "Monzer")),
    ("قاسم", ("Qasem", "Kassem")),
    ("حمزة", ("Hamza",)),
    ("أسامة", ("Osama", "Usama")),
    ("عبد الكريم", ("Abdulkarim",)),
    ("عبد القادر", ("Abdulqader", "Abdelkader")),
    ("فراس", ("Firas",)),
    ("لؤي", ("Louay", "Luay")),
    ("مؤمن", ("Moamen", "Mumin")),
    ("نزار", ("Nizar",)),
    ("يحيى", ("Yahya",)),
]
FEMALE: list[tuple[str, tuple[str, ...]]] = [
    ("فاطمة", ("Fatima", "Fatma")),
    ("مريم", ("Maryam", "Mariam")),
    ("زينب", ("Zainab", "Zeinab")),
    ("عائشة", ("Aisha", "Aicha")),
    ("خديجة", ("Khadija", "Khadijeh")),
    ("آمنة", ("Amina", "Ameneh")),
    ("نور", ("Nour", "Noor")),
    ("هبة", ("Hiba", "Heba")),
    ("سارة", ("Sara", "Sarah")),
    ("رنا", ("Rana",)),
    ("ريم", ("Reem", "Rim")),
    ("لينا", ("Lina",)),
    ("ياسمين", ("Yasmin", "Yasmine")),
    ("سلمى", ("Salma",)),
    ("هدى", ("Huda", "Hoda")),
    ("رشا", ("Rasha",)),
    ("دعاء", ("Duaa", "Doaa")),
    ("إيمان", ("Iman", "Eman")),
    ("أسماء", ("Asmaa", "Asma")),
    ("رغد", ("Raghad",)),
    ("بتول", ("Batoul",)),
    ("ولاء", ("Walaa",)),
    ("سمية", ("Sumayya", "Somaya")),
    ("حلا", ("Hala",)),
    ("رؤى", ("Ruaa", "Roua")),
]
FAMILY: list[tuple[str, tuple[str, ...]]] = [
    ("الحمصي", ("al-Homsi", "el-Homsi", "Homsi")),
    ("الحلبي", ("al-Halabi", "Halabi")),
    ("الشامي", ("al-Shami", "Shami")),
    ("المصري", ("al-Masri", "Masri")),
    ("الخطيب", ("al-Khatib", "Khatib")),
    ("النجار", ("al-Najjar", "Najjar")),
    ("الحداد", ("al-Haddad", "Haddad")),
    ("الزعبي", ("al-Zoubi", "Zoubi")),
    ("العلي", ("al-Ali",)),
    ("الأحمد", ("al-Ahmad",)),
    ("القاسم", ("al-Qasem",)),
    ("حمدان", ("Hamdan",)),
    ("شحادة", ("Shehadeh", "Shahada")),
    ("درويش", ("Darwish",)),
    ("الأسعد", ("al-Asaad",)),
    ("السيد", ("al-Sayed", "el-Sayed")),
    ("الجاسم", ("al-Jasem",)),
    ("العمر", ("al-Omar",)),
    ("الحسن", ("al-Hasan",)),
    ("الدروبي", ("al-Droubi", "Droubi")),
    ("الأتاسي", ("al-Atassi", "Atassi")),
    ("السباعي", ("al-Sibai", "Sibai")),
    ("الرفاعي", ("al-Rifai", "Rifai")),
    ("البيطار", ("al-Bitar", "Bitar")),
    ("الطويل", ("al-Tawil",)),
    ("قباني", ("Qabbani", "Kabbani")),
    ("عثمان", ("Othman", "Osman")),
    ("يونس", ("Younes", "Yunus")),
    ("مراد", ("Murad", "Mourad")),
    ("سلامة", ("Salameh", "Salama")),
    ("عيسى", ("Issa",)),
    ("خليل", ("Khalil",)),
    ("إسماعيل", ("Ismail",)),
    ("الشيخ", ("al-Sheikh", "Sheikh")),
    ("البكري", ("al-Bakri",)),
    ("الحموي", ("al-Hamawi", "Hamawi")),
    ("الإدلبي", ("al-Idlibi", "Idlibi")),
    ("الدمشقي", ("al-Dimashqi",)),
    ("الحوراني", ("al-Hourani", "Hourani")),
    ("الكردي", ("al-Kurdi", "Kurdi")),
]
# Towns that make nisba family names (الـ + town + ي), the long tail of rare names.
NISBA_TOWNS: list[tuple[str, str]] = [
    ("تلبيس", "Talbisi"),
    ("رستن", "Rastani"),
    ("قصير", "Qusayri"),
    ("تدمر", "Tadmuri"),
    ("دوما", "Doumani"),
    ("داريا", "Darani"),
    ("زبدان", "Zabadani"),
    ("قابون", "Qabouni"),
    ("معرة", "Maarrawi"),
    ("سراقب", "Saraqbi"),
    ("أريحا", "Arihawi"),
    ("جسر", "Jisri"),
    ("منبج", "Manbiji"),
    ("باب", "Babi"),
    ("عفرين", "Afrini"),
    ("رقة", "Raqqawi"),
    ("دير", "Deiri"),
    ("بوكمال", "Boukamali"),
    ("ميادين", "Mayadini"),
    ("حسكة", "Hasakawi"),
    ("قامشلي", "Qamishlawi"),
    ("درعا", "Daraawi"),
    ("بصرى", "Busrawi"),
    ("نوى", "Nawawi"),
    ("صنمين", "Sanamayni"),
    ("إزرع", "Izraawi"),
    ("سلمية", "Salamouni"),
    ("مصياف", "Masyafi"),
    ("طرطوس", "Tartousi"),
    ("بانياس", "Baniasi"),
    ("جبلة", "Jablawi"),
    ("لاذق", "Ladhiqi"),
    ("قنيطر", "Qunaytiri"),
    ("سويداء", "Suwaydawi"),
    ("شهبا", "Shahbawi"),
    ("يبرود", "Yabroudi"),
    ("نبك", "Nabki"),
    ("قطيف", "Qutayfi"),
    ("ضمير", "Dumayri"),
    ("كسوة", "Kiswani"),
]
CONNECTOR_AR = "بن"
CONNECTORS_LATIN = ("bin", "ibn")


def _variant(name: str, rnd: random.Random) -> str:
    """How people type it: sometimes without hamza on alef, ه for ة, ي for ى."""
    if rnd.random() < 0.25:
        name = name.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا")
    if rnd.random() < 0.2:
        name = name.replace("ة", "ه")
    if rnd.random() < 0.2:
        name = name.replace("ى", "ي")
    return name


def _zipf_weights(n: int, s: float = 1.0) -> list[float]:
    return [1.0 / (i + 1) ** s for i in range(n)]


@dataclass
class Person:
    sex: str
    full_name: str
    full_name_latin: str | None
    given_name: str | None
    father_name: str | None
    family_name: str | None
    mother_name: str | None
    alternate_names: list[str]


class NameGenerator:
    """Deterministic (seeded) generator of person names."""

    def __init__(self, seed: int = 7) -> None:
        self.rnd = random.Random(seed)
        families = list(FAMILY)
        for town, latin in NISBA_TOWNS:
            families.append(("ال" + town + "ي", ("al-" + latin, latin)))
        # Rarer still: two-part family names (e.g. "الحمصي الرستني" is not one, but
        # "أبو زيد", "أبو شقرة" are), made from given names.
        for given, latin in MALE[:30]:
            families.append(("أبو " + given, ("Abu " + latin[0],)))
        self.families = families
        self.w_male = _zipf_weights(len(MALE), 1.1)
        self.w_female = _zipf_weights(len(FEMALE), 1.0)
        self.w_family = _zipf_weights(len(families), 0.8)

    def _pick(self, names: list, weights: list[float]) -> tuple[str, tuple[str, ...]]:
        return self.rnd.choices(names, weights)[0]

    def person(self) -> Person:
        rnd = self.rnd
        sex = "female" if rnd.random() < 0.4 else "male"
        given = (
            self._pick(FEMALE, self.w_female) if sex == "female" else self._pick(MALE, self.w_male)
        )
        father = self._pick(MALE, self.w_male)
        grand = self._pick(MALE, self.w_male) if rnd.random() < 0.5 else None
        family = self._pick(self.families, self.w_family)
        mother = self._pick(FEMALE, self.w_female) if rnd.random() < 0.15 else None

        parts = [_variant(given[0], rnd)]
        if rnd.random() < 0.2:
            parts.append(CONNECTOR_AR if sex == "male" else "بنت")
        parts.append(_variant(father[0], rnd))
        if grand:
            parts.append(_variant(grand[0], rnd))
        parts.append(_variant(family[0], rnd))
        full_name = " ".join(parts)

        latin = None
        if rnd.random() < 0.5:
            lparts = [rnd.choice(given[1])]
            if rnd.random() < 0.3:
                lparts.append(rnd.choice(CONNECTORS_LATIN) if sex == "male" else "bint")
            lparts.append(rnd.choice(father[1]))
            if grand and rnd.random() < 0.5:
                lparts.append(rnd.choice(grand[1]))
            lparts.append(rnd.choice(family[1]))
            latin = " ".join(lparts)

        split = rnd.random() < 0.3
        alternates = []
        if rnd.random() < 0.1:
            alternates.append("أبو " + _variant(self._pick(MALE, self.w_male)[0], rnd))
        return Person(
            sex=sex,
            full_name=full_name,
            full_name_latin=latin,
            given_name=given[0] if split else None,
            father_name=father[0] if split else None,
            family_name=family[0] if split else None,
            mother_name=mother[0] if mother else None,
            alternate_names=alternates,
        )


# About twenty searches a coordinator types: common and rare names, chains, prefixes,
# spelling variants (hamza, ta marbuta), connectors and Latin transliterations.
QUERIES: list[str] = [
    "محمد",
    "محمد أحمد",
    "محمد بن أحمد الحمصي",
    "احمد الحمصي",
    "الحمصي",
    "حمصي",
    "فاطمه",
    "فاطمة الحلبي",
    "ابراهيم خليل",
    "عبد الرحمن السباعي",
    "مح",
    "أبو زياد",
    "الرستني",
    "الزبداني عمر",
    "Mohammad",
    "Muhammad al-Homsi",
    "Homsi",
    "Khaled bin Omar",
    "rast",
    "Fatima Darwish",
    "يحيى نزار الكردي",
    "رؤى",
]
