"""Arabic for every fixed message the API can refuse with (data only).

English is the source text: views, services and schemas keep raising English, and
`app.api.language` swaps in the Arabic below when the request asks for it. Two tables:

- `EXACT`: whole messages, matched as they are (braces in them are literal text).
- `TEMPLATES`: messages that carry values. ``{name}`` stands for a value; the Arabic puts
  it where Arabic word order wants it. A value is kept as sent (ids, codes, numbers) apart
  from its list commas, which become Arabic commas, and the few English words in `VALUES`.

Messages with their own Arabic elsewhere are added from there by `app.api.language`, not
repeated here: the record fields' messages (`app.vocabularies.ERROR_MESSAGES` and
`FIELD_MESSAGES`, which the device also receives to read a sync refusal) and the
cross-field rules of `app.schemas.record_rules`.

tests/app/test_error_language.py fails when a message the code can send has no entry.
"""

from __future__ import annotations

EXACT: dict[str, str] = {
    # --- the error handler itself (app/api/errors.py, app/security/guards.py) -----------
    "Some fields are not valid.": "بعض الحقول غير صالحة.",
    "The request body could not be read.": "تعذّرت قراءة محتوى الطلب.",
    "Not found.": "غير موجود.",
    "Method not allowed.": "هذه العملية غير مسموح بها هنا.",
    "The request body is larger than this server accepts.": (
        "محتوى الطلب أكبر مما يقبله هذا الخادم."
    ),
    "The server hit an unexpected error; nothing was saved.": (
        "حدث خطأ غير متوقع في الخادم؛ لم يُحفظ أي شيء."
    ),
    "This request came from another site.": "جاء هذا الطلب من موقع آخر.",
    "The CSRF token does not match this session.": "رمز الحماية (CSRF) لا يطابق هذه الجلسة.",
    "Send the body as application/json.": "أرسل المحتوى بصيغة application/json.",
    "Invalid JSON body.": "محتوى JSON غير صالح.",
    # --- request bodies --------------------------------------------------------------------
    "The gzip body is corrupt.": "محتوى gzip تالف.",
    "The body is not valid JSON.": "المحتوى ليس JSON صالحاً.",
    'Send {"changes": [...]}.': 'أرسل {"changes": [...]}.',
    "Required list.": "قائمة مطلوبة.",
    "Unknown fields.": "حقول غير معروفة.",
    # --- logging in and permissions ----------------------------------------------------------
    "Log in first.": "سجّل الدخول أولاً.",
    "This device was revoked or its user disabled; log in again.": (
        "أُلغي هذا الجهاز أو عُطِّل حساب مستخدمه؛ سجّل الدخول من جديد."
    ),
    "This replication token was revoked or has expired.": (
        "أُلغي رمز النسخ المتماثل هذا أو انتهت صلاحيته."
    ),
    "Send a partner token.": "أرسل رمز شريك.",
    "A partner token can only pull exports.": "رمز الشريك لا يصلح إلا لسحب التصديرات.",
    "Sync with a device's or a peer's token.": "زامن برمز جهاز أو رمز مركز نظير.",
    "A device token can only sync.": "رمز الجهاز لا يصلح إلا للمزامنة.",
    "Choose a new password before going on.": "اختر كلمة مرور جديدة قبل المتابعة.",
    "This token cannot use this endpoint.": "لا يصلح هذا الرمز لهذا الطلب.",
    "Only an administrator may do this.": "لا يقوم بهذا إلا مدير النظام.",
    "You are not a member of any team.": "لست عضواً في أي فريق.",
    "Only a coordinator may do this.": "لا يقوم بهذا إلا المنسق.",
    "Wrong username or password.": "اسم المستخدم أو كلمة المرور خاطئة.",
    "The current password is wrong.": "كلمة المرور الحالية خاطئة.",
    "Use at most 256 characters.": "استخدم 256 حرفاً على الأكثر.",
    # --- teams, users, devices ---------------------------------------------------------------
    "A team needs a name.": "يحتاج الفريق إلى اسم.",
    "A team with this name exists.": "يوجد فريق بهذا الاسم.",
    "No such team.": "لا يوجد فريق كهذا.",
    "Only the team's coordinators see its members.": "لا يرى أعضاءَ الفريق إلا منسقوه.",
    "No such user.": "لا يوجد مستخدم كهذا.",
    "Unknown team.": "فريق غير معروف.",
    "A team appears twice.": "ورد فريق مرتين.",
    "This username is taken.": "اسم المستخدم هذا مأخوذ.",
    "You cannot remove your own admin rights.": "لا يمكنك إزالة صلاحيات الإدارة عن نفسك.",
    "You cannot disable yourself.": "لا يمكنك تعطيل حسابك بنفسك.",
    "No such device.": "لا يوجد جهاز كهذا.",
    "This origin id is registered; a restored or cloned install makes a new one.": (
        "معرّف المصدر هذا مسجل؛ التثبيت المستعاد أو المنسوخ ينشئ معرّفاً جديداً."
    ),
    # --- records -----------------------------------------------------------------------------
    "No such record.": "لا يوجد سجل كهذا.",
    "Say which team the record is for.": "حدّد الفريق الذي يتبع له السجل.",
    "You are not a member of this team.": "لست عضواً في هذا الفريق.",
    "Unknown record kind.": "نوع سجل غير معروف.",
    "Not a UUID.": "ليس معرّفاً (UUID).",
    "Not a valid UUID.": "ليس معرّفاً (UUID) صالحاً.",
    "A record with this id exists.": "يوجد سجل بهذا المعرّف.",
    "Send If-Match with the record's ETag.": "أرسل If-Match مع وسم ETag الخاص بالسجل.",
    "The record changed since you read it; reload it and try again.": (
        "تغيّر السجل منذ قرأته؛ أعد تحميله ثم حاول مرة أخرى."
    ),
    "A record cannot move team.": "لا يمكن نقل السجل إلى فريق آخر.",
    "Cannot change.": "لا يمكن تغييره.",
    "These fields have conflicting values; a coordinator must resolve them first.": (
        "لهذه الحقول قيم متعارضة؛ يجب أن يحسمها المنسق أولاً."
    ),
    "Conflict open.": "فيه تعارض لم يُحسم.",
    "Only a coordinator may resolve conflicts.": "لا يحسم التعارضات إلا المنسق.",
    "These fields have no open conflict.": "لا تعارض قائماً في هذه الحقول.",
    "No open conflict.": "لا تعارض قائماً.",
    "Choose a value for at least one field.": "اختر قيمة لحقل واحد على الأقل.",
    "Empty.": "فارغ.",
    "Only a coordinator may erase a record.": "لا يمحو السجل إلا المنسق.",
    "Give a reason.": "اذكر السبب.",
    "Not a cursor.": "ليس مؤشر صفحة صالحاً.",
    "Use next_after of a page.": "استخدم قيمة next_after من صفحة سابقة.",
    # The reporter rules of app/services/access.py, as a REST refusal says them.
    "Not a member of this record's team.": "لست عضواً في فريق هذا السجل.",
    "Author is not the authenticated user.": "كاتب التغيير ليس المستخدم الذي سجّل الدخول.",
    "This person record is not yours or assigned to you.": ("سجل هذا الشخص ليس لك ولم يُسند إليك."),
    "Strictly confidential records are for coordinators.": (
        "السجلات السرية للغاية للمنسقين وحدهم."
    ),
    "Only the record's author or a coordinator may delete it.": (
        "لا يحذف السجلَ إلا كاتبه أو المنسق."
    ),
    "Only a coordinator may record a death.": "لا يسجّل الوفاة إلا المنسق.",
    "Only a coordinator may assign records.": "لا يُسند السجلات إلا المنسق.",
    "Only a coordinator may lower sensitivity.": "لا يخفّض درجة الحساسية إلا المنسق.",
    "Only a coordinator may resolve.": "لا يحسم التعارض إلا المنسق.",
    "Only a coordinator may merge into.": "لا يدمج السجلات إلا المنسق.",
    "Only a coordinator may purge.": "لا يمحو السجلات إلا المنسق.",
    "Only a coordinator may undelete.": "لا يستعيد السجلات المحذوفة إلا المنسق.",
    # --- places ------------------------------------------------------------------------------
    "Unknown place.": "مكان غير معروف.",
    "Unknown.": "غير معروف.",
    "No such place.": "لا يوجد مكان كهذا.",
    "Unknown level.": "مستوى غير معروف.",
    "Only a governorate has no parent.": "المحافظة وحدها لا تتبع لمكان أعلى.",
    "A place needs a name.": "يحتاج المكان إلى اسم.",
    "Give a name.": "اكتب اسماً.",
    "Not a P-code.": "ليس رمز P-code.",
    "Letters, digits and -.": "أحرف وأرقام و- فقط.",
    "This P-code is taken.": "رمز P-code هذا مأخوذ.",
    # --- exports and partner tokens ----------------------------------------------------------
    "Say which team.": "حدّد الفريق.",
    "Only a coordinator of this team may export it.": "لا يصدّر بيانات الفريق إلا منسقه.",
    "This token does not cover that kind of record.": "لا يشمل هذا الرمز هذا النوع من السجلات.",
    "This token does not cover that verification.": "لا يشمل هذا الرمز حالة التحقق هذه.",
    "This token does not cover that place.": "لا يشمل هذا الرمز هذا المكان.",
    "Use a cursor (next_since) or an ISO date or date-time.": (
        "استخدم مؤشراً (next_since) أو تاريخاً أو تاريخاً ووقتاً بصيغة ISO."
    ),
    "A table holds one kind of record: choose one kind.": (
        "يضم الجدول نوعاً واحداً من السجلات: اختر نوعاً واحداً."
    ),
    "Say who receives it: their ids are scoped to them.": (
        "اذكر الجهة المستلمة: المعرّفات تُولَّد خاصة بها."
    ),
    "Public aggregates are whole tables; since does not apply.": (
        "الأعداد العامة جداول كاملة؛ لا ينطبق عليها since."
    ),
    "geo_level is district or governorate.": "قيمة geo_level هي district أو governorate.",
    "Only a coordinator of this team may issue its tokens.": ("لا يُصدر رموز الفريق إلا منسقه."),
    "A partner token has one profile: partner, public or tracing (never internal).": (
        "لرمز الشريك ملف واحد: partner أو public أو tracing (وليس internal أبداً)."
    ),
    "Not allowed.": "غير مسموح.",
    "Name the recipient.": "اذكر الجهة المستلمة.",
    "Out of range.": "خارج المجال المسموح.",
    "No such partner token.": "لا يوجد رمز شريك كهذا.",
    # --- the dashboard -----------------------------------------------------------------------
    "Say which number.": "حدّد الرقم.",
    "Say which measure.": "حدّد المقياس.",
    "killed or injured.": "القتلى أو الجرحى.",
    "Not a week.": "ليس أسبوعاً.",
    "Not a date.": "ليس تاريخاً.",
    "Only a team's coordinators see its dashboard.": "لا يرى لوحة متابعة الفريق إلا منسقوه.",
    "You do not coordinate this team.": "لست منسقاً لهذا الفريق.",
    "The range ends before it starts.": "تنتهي الفترة قبل أن تبدأ.",
    "Before date_from.": "قبل date_from.",
    # --- sync, hubs and bundles --------------------------------------------------------------
    "Only coordinators and admins see parked changes.": (
        "لا يرى التغييرات الموضوعة جانباً إلا المنسقون ومديرو النظام."
    ),
    "Durations look like 30d, 12h, 10m or 45s.": "تُكتب المدة هكذا: 30d أو 12h أو 10m أو 45s.",
    "Say which teams are shared (--teams).": "حدّد الفرق المشتركة (--teams).",
    "Handshake first.": "ابدأ بالمصافحة أولاً.",
    "Only a device posts its bundles here.": "لا يرسل الحزم إلى هنا إلا جهاز.",
    "Rejected: the bundle asks for unreasonable scrypt parameters.": (
        "مرفوضة: تطلب الحزمة معاملات scrypt غير معقولة."
    ),
    "Rejected: the bundle is truncated (it ends before its last chunk).": (
        "مرفوضة: الحزمة مقطوعة (تنتهي قبل آخر أجزائها)."
    ),
    "Rejected: the bundle is truncated (a chunk is cut short).": (
        "مرفوضة: الحزمة مقطوعة (أحد أجزائها ناقص)."
    ),
    "Rejected: the bundle was altered (data after its last chunk).": (
        "مرفوضة: عُدِّلت الحزمة (بيانات بعد آخر أجزائها)."
    ),
    "Rejected: the bundle cannot be decrypted here (wrong passphrase or key), "
    "or its header was altered.": (
        "مرفوضة: لا يمكن فك تشفير الحزمة هنا (عبارة مرور أو مفتاح خاطئ)، أو عُدِّل رأسها."
    ),
    "Rejected: this bundle is locked with a passphrase; give it with --passphrase-env VAR.": (
        "مرفوضة: هذه الحزمة مقفلة بعبارة مرور؛ أعطها بالخيار --passphrase-env VAR."
    ),
    "Rejected: the bundle header was altered (bad key fields).": (
        "مرفوضة: عُدِّل رأس الحزمة (حقول المفاتيح غير صحيحة)."
    ),
    "Rejected: the bundle is truncated (no header).": "مرفوضة: الحزمة مقطوعة (بلا رأس).",
    "Rejected: this is not a Tawthiq bundle (or its first line was altered).": (
        "مرفوضة: هذه ليست حزمة توثيق (أو عُدِّل سطرها الأول)."
    ),
    "Rejected: the bundle is truncated or altered (header line).": (
        "مرفوضة: الحزمة مقطوعة أو معدَّلة (سطر الرأس)."
    ),
    "Rejected: the bundle header was altered (not JSON).": ("مرفوضة: عُدِّل رأس الحزمة (ليس JSON)."),
    "Rejected: the bundle's archive is damaged.": "مرفوضة: أرشيف الحزمة تالف.",
    "Rejected: the device's registered key cannot check signatures.": (
        "مرفوضة: لا يصلح المفتاح المسجل للجهاز للتحقق من التواقيع."
    ),
    "Rejected: the signature is malformed.": "مرفوضة: التوقيع مشوّه.",
    "Rejected: signed by a device this hub does not know.": (
        "مرفوضة: وقّعها جهاز لا يعرفه هذا المركز."
    ),
    "Rejected: the device that signed it was revoked.": "مرفوضة: أُلغي الجهاز الذي وقّعها.",
    "Rejected: wrongly signed — the signature does not verify with the device's registered key.": (
        "مرفوضة: توقيع خاطئ — لا يتحقق التوقيع بالمفتاح المسجل للجهاز."
    ),
    "Rejected: the manifest names no source hub or device.": (
        "مرفوضة: لا يذكر البيان مركزاً أو جهازاً مصدراً."
    ),
    "Rejected: the bundle header names no recipient.": "مرفوضة: لا يذكر رأس الحزمة جهة مستلمة.",
    "Rejected: the bundle header was altered (nonce).": "مرفوضة: عُدِّل رأس الحزمة (nonce).",
    "Rejected: the manifest or signature is not JSON.": "مرفوضة: البيان أو التوقيع ليس JSON.",
    "Rejected: wrongly addressed — the signed manifest names another recipient "
    "than the bundle's header.": (
        "مرفوضة: عنوان خاطئ — يذكر البيان الموقّع جهة مستلمة غير التي في رأس الحزمة."
    ),
    "Rejected: altered — changes.jsonl does not match the manifest's hash.": (
        "مرفوضة: معدَّلة — لا يطابق changes.jsonl البصمة في البيان."
    ),
    "Rejected: altered — the number of changes is not the manifest's.": (
        "مرفوضة: معدَّلة — عدد التغييرات ليس العدد الذي في البيان."
    ),
    "Rejected: this bundle was not signed by the calling device.": (
        "مرفوضة: لم يوقّع هذه الحزمة الجهاز الذي أرسلها."
    ),
    "Rejected: the device's user is disabled.": "مرفوضة: حساب مستخدم الجهاز معطَّل.",
    "Rejected: the receipt is for a bundle this hub did not write.": (
        "مرفوضة: الإيصال لحزمة لم يكتبها هذا المركز."
    ),
    "The change log changed during the export (a purge?); export again.": (
        "تغيّر سجل التغييرات أثناء التصدير (محو؟)؛ صدّر مرة أخرى."
    ),
    # --- field reasons shared by many refusals -------------------------------------------------
    "Required.": "مطلوب.",
    "Taken.": "مأخوذ.",
    "Own.": "لا يجوز على حسابك نفسه.",
    "Duplicate.": "مكرر.",
    # --- marshmallow's own messages (fields of app/schemas/*) ----------------------------------
    "Missing data for required field.": "هذا الحقل مطلوب.",
    "Field may not be null.": "لا يجوز ترك هذا الحقل فارغاً.",
    "Invalid value.": "قيمة غير صالحة.",
    "Not a valid string.": "ليس نصاً صالحاً.",
    "Not a valid utf-8 string.": "ليس نصاً صالحاً بترميز UTF-8.",
    "Not a valid integer.": "ليس عدداً صحيحاً صالحاً.",
    "Not a valid number.": "ليس رقماً صالحاً.",
    "Number too large.": "الرقم كبير جداً.",
    "Not a valid boolean.": "ليست قيمة صح أو خطأ صالحة.",
    "Not a valid date.": "ليس تاريخاً صالحاً.",
    "Not a valid datetime.": "ليس تاريخاً ووقتاً صالحين.",
    "Not a valid aware datetime.": "ليس تاريخاً ووقتاً صالحين مع المنطقة الزمنية.",
    "Not a valid naive datetime.": "ليس تاريخاً ووقتاً صالحين دون منطقة زمنية.",
    "Not a valid mapping type.": "ليس كائناً (object) صالحاً.",
    "Not a valid list.": "ليست قائمة صالحة.",
    "Invalid type.": "نوع غير صالح.",
    "Invalid input type.": "نوع المدخلات غير صالح.",
    "Unknown field.": "حقل غير معروف.",
    "String does not match expected pattern.": "النص لا يطابق الشكل المطلوب.",
    "Use letters, digits and . _ @ - only.": "استخدم الأحرف والأرقام و. _ @ - فقط.",
}

TEMPLATES: dict[str, str] = {
    # --- handlers and bodies -----------------------------------------------------------------
    "State-changing requests need the {header} header.": (
        "الطلبات التي تغيّر البيانات تحتاج إلى الترويسة {header}."
    ),
    "The inflated body is larger than {limit} bytes.": (
        "المحتوى بعد فك الضغط أكبر من {limit} بايت."
    ),
    "At most {limit} bytes.": "يجب ألا يزيد الحجم على {limit} بايت.",
    "At most {n} changes per push.": "يجب ألا يزيد عدد التغييرات في الإرسال الواحد على {n}.",
    # --- logging in and permissions ----------------------------------------------------------
    "This partner token is {state}.": "رمز الشريك هذا {state}.",
    "Too many failed logins from this address; try again in {wait} s.": (
        "محاولات دخول فاشلة كثيرة من هذا العنوان؛ حاول مرة أخرى بعد {wait} ث."
    ),
    "Use at least {n} characters.": "يجب ألا يقل عدد الأحرف عن {n}.",
    # --- lookups by name ---------------------------------------------------------------------
    "No team {name}.": "لا يوجد فريق {name}.",
    "No user {name}.": "لا يوجد مستخدم {name}.",
    "No place {name}.": "لا يوجد مكان {name}.",
    "No peer {name}.": "لا يوجد مركز نظير {name}.",
    "No chart {name}.": "لا يوجد مخطط {name}.",
    # --- records -----------------------------------------------------------------------------
    "Use one of {choices}.": "استخدم أحد: {choices}.",
    "{field} cannot change.": "لا يمكن تغيير {field}.",
    "Only a coordinator may set verification to {status}.": (
        "لا يجعل حالة التحقق «{status}» إلا المنسق."
    ),
    "Unknown record kind {kind}.": "نوع سجل غير معروف {kind}.",
    # --- places ------------------------------------------------------------------------------
    "One of {choices}.": "أحد: {choices}.",
    "A {level} cannot be inside a {parent}.": "لا يمكن وضع {level} داخل {parent}.",
    "Must be below {level}.": "يجب أن يكون مستواه أدنى من {level}.",
    "{name} already exists here.": "{name} موجود هنا من قبل.",
    "The file has {n} problem(s); nothing was imported.": (
        "في الملف مشكلات عددها {n}؛ لم يُستورد أي شيء."
    ),
    # --- exports and partner tokens ----------------------------------------------------------
    "Unknown profile; one of {choices}.": "ملف غير معروف؛ اختر أحد: {choices}.",
    "Profile {profile} exports as {formats}.": "الملف {profile} يُصدَّر بصيغة: {formats}.",
    "Profile {profile} exports {kinds}.": "الملف {profile} يصدّر: {kinds}.",
    "The expiry must be in the future and within {days} days.": (
        "يجب أن يكون تاريخ الانتهاء في المستقبل، على ألا يزيد بُعده عن اليوم على {days} من الأيام."
    ),
    # --- hubs and bundles --------------------------------------------------------------------
    "Unknown kinds: {kinds}; use {choices}.": "أنواع غير معروفة: {kinds}؛ استخدم: {choices}.",
    "Sensitivity is one of {choices}.": "درجة الحساسية إحدى: {choices}.",
    "This peer is hub {hub}, not {other}.": "هذا المركز النظير هو {hub}، لا {other}.",
    "Hub keys do not match the pinned fingerprint of {peer} (pinned {pinned}, shown {shown}).": (
        "مفاتيح المركز لا تطابق البصمة المثبتة للمركز {peer} (المثبتة {pinned}، المعروضة {shown})."
    ),
    "Hub {hub} is already the peer {peer}.": "المركز {hub} هو المركز النظير {peer} من قبل.",
    "Rejected: the bundle was altered (chunk {n} framing).": (
        "مرفوضة: عُدِّلت الحزمة (حدود الجزء {n})."
    ),
    "Rejected: the bundle was altered (chunk {n} fails authentication).": (
        "مرفوضة: عُدِّلت الحزمة (فشل التحقق من الجزء {n})."
    ),
    "Rejected: unknown encryption scheme {scheme}.": "مرفوضة: طريقة تشفير غير معروفة {scheme}.",
    "{peer}'s keys are not known here yet (sync once, or `peer add {peer} --keys FILE`); "
    "or lock the bundle with --passphrase-env VAR.": (
        "مفاتيح {peer} غير معروفة هنا بعد (زامن مرة، أو نفّذ `peer add {peer} --keys FILE`)؛ "
        "أو اقفل الحزمة بالخيار --passphrase-env VAR."
    ),
    "Rejected: unexpected member {name}.": "مرفوضة: عنصر غير متوقع {name}.",
    "Rejected: signed by hub {hub}, which is not a known peer here "
    "(add it with `tawthiq peer add NAME --keys FILE` and its fingerprint).": (
        "مرفوضة: وقّعها المركز {hub}، وهو ليس مركزاً نظيراً معروفاً هنا "
        "(أضفه بالأمر `tawthiq peer add NAME --keys FILE` مع بصمته)."
    ),
    "Rejected: wrongly signed — the manifest's key is not the pinned key of "
    "peer {peer} ({fingerprint}).": (
        "مرفوضة: توقيع خاطئ — مفتاح البيان ليس المفتاح المثبت للمركز النظير {peer} ({fingerprint})."
    ),
    "Rejected: wrongly signed — the signature does not verify with the pinned "
    "key of peer {peer}.": (
        "مرفوضة: توقيع خاطئ — لا يتحقق التوقيع بالمفتاح المثبت للمركز النظير {peer}."
    ),
    "Rejected: wrongly addressed — the bundle is for hub {hub}, and this is hub {this}.": (
        "مرفوضة: عنوان خاطئ — الحزمة للمركز {hub}، وهذا المركز {this}."
    ),
    "Rejected: {name} appears twice.": "مرفوضة: ورد {name} مرتين.",
    "Rejected: {name} is too large.": "مرفوضة: {name} كبير جداً.",
    "Rejected: the bundle lacks {names}.": "مرفوضة: تنقص الحزمة: {names}.",
    "Rejected: the receipt is from hub {hub}, not a known peer.": (
        "مرفوضة: الإيصال من المركز {hub}، وهو ليس مركزاً نظيراً معروفاً."
    ),
    "Rejected: the receipt is not signed by peer {peer}'s pinned key.": (
        "مرفوضة: الإيصال غير موقّع بالمفتاح المثبت للمركز النظير {peer}."
    ),
    # --- marshmallow's own messages with values -------------------------------------------------
    '"{input}" cannot be formatted as a date.': 'لا يمكن كتابة "{input}" تاريخاً.',
    '"{input}" cannot be formatted as a datetime.': 'لا يمكن كتابة "{input}" تاريخاً ووقتاً.',
    "Length must be between {min} and {max}.": "يجب أن يكون الطول بين {min} و{max}.",
    "Length must be {equal}.": "يجب أن يكون الطول {equal}.",
    "Longer than maximum length {max}.": "أطول من الحد الأقصى للطول ({max}).",
    "Shorter than minimum length {min}.": "أقصر من الحد الأدنى للطول ({min}).",
    "Must be one of: {choices}.": "يجب أن تكون إحدى القيم: {choices}.",
    "Must be greater than or equal to {min} and less than or equal to {max}.": (
        "يجب أن تكون القيمة بين {min} و{max}."
    ),
    "Must be greater than or equal to {min}.": "يجب ألا تقل القيمة عن {min}.",
    "Must be less than or equal to {max}.": "يجب ألا تزيد القيمة على {max}.",
    "Must be greater than {min}.": "يجب أن تكون القيمة أكبر من {min}.",
    "Must be less than {max}.": "يجب أن تكون القيمة أصغر من {max}.",
}

# English words that reach a message as a value (place levels, token states, profiles).
VALUES: dict[str, str] = {
    "governorate": "محافظة",
    "district": "منطقة",
    "subdistrict": "ناحية",
    "community": "تجمع سكني",
    "neighbourhood": "حي",
    "expired": "منتهي الصلاحية",
    "revoked": "ملغى",
}
