package web

import (
	"html/template"
	"strconv"
)

// meterWords is the text of the meter readings form and lists, in one
// language.
type meterWords struct {
	// WasteLink and MeterLink are the page's two parts, at its top.
	WasteLink, MeterLink string

	Form, Intro                        string
	Counter, Value, ValuePlaceholder   string
	Unit, UnitLitres, UnitPercent      string
	At, AtHint, Meter, MeterHint, Note string
	Record                             string
	Last, Recent, Loading              string
	LastColumns                        [4]string // counter, meter, reading, read at
	Columns                            [6]string // time read, counter, meter, reading, note, state
	States                             template.HTML
	Off                                template.HTML

	Counters map[string]label
	// Units name kWh, h, L and % in the lists.
	Units map[string]string
	// Script holds meter.js's messages, by key, as words.Script does
	// app.js's; Fields its words for a problem with each field (none in
	// English).
	Script map[string]string
	Fields map[string]string
}

func englishMeterWords(keep int) *meterWords {
	return &meterWords{
		WasteLink: "Waste",
		MeterLink: "Meter readings",

		Form:             "Meter readings",
		Intro:            "Type what a meter shows, as it shows it: the counters only go up, and GreenPulse works out the use from one reading to the next. Read them every day.",
		Counter:          "What was read",
		Value:            "Reading",
		ValuePlaceholder: "12345.6",
		Unit:             "The level is in",
		UnitLitres:       "litres (L)",
		UnitPercent:      "percent of the tank (%)",
		At:               "Read at",
		AtHint:           "(leave empty for now; set it for a reading taken earlier)",
		Meter:            "Meter name",
		MeterHint:        "(optional; for a second meter, generator or inverter)",
		Note:             "Note",
		Record:           "Record reading",
		Last:             "Last reading of each counter",
		Recent:           "Last " + strconv.Itoa(keep) + " meter readings",
		Loading:          "Loading…",
		LastColumns:      [4]string{"Counter", "Meter", "Reading", "Read at"},
		Columns:          [6]string{"Read at", "Counter", "Meter", "Reading", "Note", "State"},
		States:           "<strong>queued</strong>: kept safely on this computer until the GreenPulse server confirms it; <strong>sent</strong>: the server has it; <strong>kept</strong>: sends nothing (a delivery, engine hours), counted with the next reading or kept for the facility's records.",
		Off:              "Meter readings are turned off on this agent (<code>sources.manual.enabled: false</code>).",

		Counters: map[string]label{
			"grid_kwh":         {"Grid meter", "kWh"},
			"generator_kwh":    {"Generator", "kWh"},
			"generator_hours":  {"Generator engine hours", "h"},
			"fuel_delivered_l": {"Fuel delivered", "litres"},
			"tank_level":       {"Fuel tank level", "litres or %"},
			"solar_kwh":        {"Solar inverter total yield", "kWh"},
		},
		Units: map[string]string{"kWh": "kWh", "h": "h", "L": "L", "%": "%"},
		Script: map[string]string{
			"value_nan":          "Write the reading as a number, such as 12345.6, without thousands separators.",
			"value_comma":        "Write {whole} or {decimal}: a comma here is ambiguous.",
			"not_recorded":       "Not recorded: correct what is marked in red.",
			"sending":            "Sending…",
			"unreachable":        "Not recorded: the agent could not be reached ({err}). Check the network connection and try again.",
			"recorded":           "Recorded — queued for sending.",
			"recorded_kept":      "Recorded — kept on this computer.",
			"logged_out":         "Not recorded: you are logged out (the session ended or the agent restarted). Reload the page and log in again.",
			"answered":           "Not recorded: the agent answered {status}{detail}.",
			"asked":              "Not recorded yet: answer the question above the button.",
			"q_new_meter":        "Is this a new meter? The last reading was {value} {unit} on {time}.",
			"q_big_jump":         "That's a big jump since the last reading ({value} {unit} on {time}). Check the number.",
			"q_tank_rose":        "The tank holds more than the last level ({value} {unit} on {time}) plus the fuel delivered since. Was a delivery not recorded?",
			"q_big_delivery":     "That is more than the tank holds. Check the number.",
			"answer_replaced":    "Yes: the meter was replaced or reset. Record it as a new meter.",
			"answer_confirm":     "Yes: I checked, the number is right.",
			"agent_says":         "The agent says:",
			"no_entries":         "No meter readings yet.",
			"no_last":            "No readings yet.",
			"from_hours":         "from engine hours",
			"fuel":               "Generator {meter}: {burned} L of fuel burned since the first tank level; {delivered} L delivered since the last level.",
			"recent_logged_out":  "You are logged out. Reload the page and log in again.",
			"recent_failed":      "Could not load the meter readings: the agent answered {status}{detail}.",
			"recent_unreachable": "Could not load the meter readings: the agent could not be reached ({err}). Retrying…",
			"queued":             "queued",
			"sent":               "sent",
			"kept":               "kept",
			"queued_title":       "kept on this computer until the server confirms it",
			"sent_title":         "the server has it",
			"kept_title":         "sends no reading of its own",
		},
	}
}

func arabicMeterWords(maxNote, keep int) *meterWords {
	return &meterWords{
		WasteLink: "النفايات",
		MeterLink: "قراءات العدادات",

		Form:             "قراءات العدادات",
		Intro:            "اكتب ما يظهر على العداد كما هو: العدادات تزداد فقط، ويحسب GreenPulse الاستهلاك من قراءة إلى التي تليها. سجّل القراءات كل يوم.",
		Counter:          "ما الذي قُرئ",
		Value:            "القراءة",
		ValuePlaceholder: "١٢٣٤٥٫٦",
		Unit:             "وحدة المستوى",
		UnitLitres:       "لتر",
		UnitPercent:      "نسبة مئوية من سعة الخزان (٪)",
		At:               "وقت القراءة",
		AtHint:           "(اتركه فارغاً للوقت الحالي؛ حدّده لقراءة أُخذت في وقت سابق)",
		Meter:            "اسم العداد",
		MeterHint:        "(اختياري؛ لعداد أو مولدة أو عاكس ثانٍ)",
		Note:             "ملاحظة",
		Record:           "تسجيل القراءة",
		Last:             "آخر قراءة لكل عداد",
		Recent:           "آخر " + arabicDigits(keep) + " قراءة",
		Loading:          "جارٍ التحميل…",
		LastColumns:      [4]string{"العداد", "الاسم", "القراءة", "وقت القراءة"},
		Columns:          [6]string{"وقت القراءة", "العداد", "الاسم", "القراءة", "ملاحظة", "الحالة"},
		States:           "<strong>بانتظار الإرسال</strong>: محفوظة بأمان على هذا الحاسوب حتى يؤكد خادم GreenPulse استلامها؛ <strong>أُرسلت</strong>: وصلت إلى الخادم؛ <strong>محفوظة محلياً</strong>: لا تُرسل شيئاً (تسليم وقود، ساعات تشغيل)، وتُحتسب مع القراءة التالية أو تبقى في سجلات المؤسسة.",
		Off:              "قراءات العدادات معطَّلة في هذا البرنامج (<code>sources.manual.enabled: false</code>).",

		Counters: map[string]label{
			"grid_kwh":         {"عداد الكهرباء الوطنية", "كيلوواط ساعة"},
			"generator_kwh":    {"المولدة", "كيلوواط ساعة"},
			"generator_hours":  {"ساعات تشغيل المولدة", "ساعة"},
			"fuel_delivered_l": {"الوقود المُسلَّم", "لتر"},
			"tank_level":       {"مستوى خزان الوقود", "لتر أو ٪"},
			"solar_kwh":        {"إجمالي إنتاج العاكس الشمسي", "كيلوواط ساعة"},
		},
		Units: map[string]string{"kWh": "كيلوواط ساعة", "h": "ساعة", "L": "لتر", "%": "٪"},
		Script: map[string]string{
			"value_nan":          "اكتب القراءة رقماً، مثل ١٢٣٤٥٫٦، بلا فواصل للآلاف.",
			"value_comma":        "اكتب {whole} أو {decimal}: الفاصلة هنا تحتمل المعنيين.",
			"not_recorded":       "لم تُسجَّل القراءة: صحّح ما هو مؤشَّر باللون الأحمر.",
			"sending":            "جارٍ الإرسال…",
			"unreachable":        "لم تُسجَّل القراءة: تعذّر الوصول إلى البرنامج ({err}). تحقّق من اتصال الشبكة وحاول مرة أخرى.",
			"recorded":           "سُجِّلت القراءة — بانتظار الإرسال.",
			"recorded_kept":      "سُجِّلت القراءة — محفوظة على هذا الحاسوب.",
			"logged_out":         "لم تُسجَّل القراءة: انتهت جلستك (انتهت مدتها أو أُعيد تشغيل البرنامج). أعد تحميل الصفحة وسجّل الدخول مرة أخرى.",
			"answered":           "لم تُسجَّل القراءة: أجاب البرنامج بالرمز {status}{detail}.",
			"asked":              "لم تُسجَّل القراءة بعد: أجب عن السؤال فوق الزر.",
			"q_new_meter":        "هل هذا عداد جديد؟ آخر قراءة كانت {value} {unit} في {time}.",
			"q_big_jump":         "هذه زيادة كبيرة منذ آخر قراءة ({value} {unit} في {time}). تحقّق من الرقم.",
			"q_tank_rose":        "في الخزان أكثر من المستوى الأخير ({value} {unit} في {time}) مضافاً إليه الوقود المُسلَّم منذئذ. هل فات تسجيل تسليم وقود؟",
			"q_big_delivery":     "هذه الكمية أكبر من سعة الخزان. تحقّق من الرقم.",
			"answer_replaced":    "نعم: استُبدل العداد أو أُعيد تصفيره. سجّلها قراءةً لعداد جديد.",
			"answer_confirm":     "نعم: تحقّقت، الرقم صحيح.",
			"agent_says":         "يقول البرنامج:",
			"no_entries":         "لا توجد قراءات بعد.",
			"no_last":            "لا توجد قراءات بعد.",
			"from_hours":         "من ساعات التشغيل",
			"fuel":               "المولدة {meter}: احتُرق {burned} لتر من الوقود منذ أول قراءة لمستوى الخزان؛ وسُلِّم {delivered} لتر منذ آخر قراءة للمستوى.",
			"recent_logged_out":  "انتهت جلستك. أعد تحميل الصفحة وسجّل الدخول مرة أخرى.",
			"recent_failed":      "تعذّر تحميل قراءات العدادات: أجاب البرنامج بالرمز {status}{detail}.",
			"recent_unreachable": "تعذّر تحميل قراءات العدادات: تعذّر الوصول إلى البرنامج ({err}). جارٍ إعادة المحاولة…",
			"queued":             "بانتظار الإرسال",
			"sent":               "أُرسلت",
			"kept":               "محفوظة محلياً",
			"queued_title":       "محفوظة على هذا الحاسوب حتى يؤكد الخادم استلامها",
			"sent_title":         "وصلت إلى الخادم",
			"kept_title":         "لا تُرسل قراءة بحد ذاتها",
		},
		Fields: map[string]string{
			"counter": "اختر من القائمة ما الذي قُرئ.",
			"value":   "القراءة غير صحيحة.",
			"unit":    "وحدة المستوى غير صحيحة.",
			"ts":      "وقت القراءة غير صحيح.",
			"meter":   "اسم العداد غير صحيح: حروف لاتينية وأرقام و'-' و'_' فقط.",
			"note":    "الملاحظة غير مقبولة: اكتبها في سطر واحد وبما لا يزيد على " + arabicDigits(maxNote) + " حرف.",
		},
	}
}
