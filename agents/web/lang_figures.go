package web

// figureWords is the text of the facility's figures (figures.js), in one
// language.
type figureWords struct {
	Title, Loading string
	// Link is the page's link to the figures, at its top.
	Link string
	// Tabs name the periods: today, yesterday, this month.
	Tabs [3]string
	// Script holds figures.js's messages and headings, by key; "{name}"
	// in one is a value the script puts in.
	Script map[string]string
	// Names are the rows' names: the indicator ids of
	// collector/indicators, and solar_kwh_per_kwp and grid_hours.
	Names map[string]string
	// Units are the rows' units, by the unit's English symbol.
	Units map[string]string
}

// figuresScript is what the page hands figures.js.
type figuresScript struct {
	Text  map[string]string `json:"text"`
	Names map[string]string `json:"names"`
	Units map[string]string `json:"units"`
}

func (w *figureWords) script() figuresScript {
	return figuresScript{Text: w.Script, Names: w.Names, Units: w.Units}
}

func englishFigureWords() *figureWords {
	return &figureWords{
		Title:   "This facility's figures",
		Link:    "Figures",
		Loading: "Loading…",
		Tabs:    [3]string{"Today", "Yesterday", "This month"},
		Script: map[string]string{
			"energy":             "Electricity",
			"solar":              "Solar",
			"grid":               "Grid and generator",
			"waste":              "Health-care waste",
			"classes":            "Waste by category and treatment",
			"class_columns":      "Category and treatment|kg|Hand-overs",
			"agent":              "This agent",
			"official":           "Collector",
			"chart_energy":       "Electricity by day (kWh)",
			"chart_waste":        "Waste by day (kg)",
			"hours_of":           "{live} h of {covered} h",
			"no_value":           "—",
			"no_readings":        "No readings for this period yet.",
			"no_waste":           "No waste recorded in this period.",
			"computed":           "Computed on this agent from its own readings at {time}.",
			"computed_since":     "Computed on this agent at {time} from the readings it took since {since}; the collector's also count readings that reached it another way.",
			"since_partial":      "This agent's column counts only the readings it took since {since}.",
			"official_at":        "Collector's figures computed {computed}, received {received}.",
			"official_offline":   "The link to the collector is down: its figures are the last received, {received}; this agent's are up to date.",
			"official_none":      "No figures from the collector for this month yet.",
			"offline":            "The link to the collector is down; these figures come from this agent's own readings.",
			"recent_logged_out":  "You are logged out. Reload the page and log in again.",
			"recent_failed":      "Could not load the figures: the agent answered {status}{detail}.",
			"recent_unreachable": "Could not load the figures: the agent could not be reached ({err}). Retrying…",
		},
		Names: map[string]string{
			"grid_kwh":               "Grid",
			"generator_kwh":          "Generator",
			"other_kwh":              "Other sources",
			"solar_kwh":              "Solar",
			"energy_kwh":             "Electricity used",
			"renewable_share_pct":    "Renewable share",
			"energy_per_bed_kwh":     "Electricity per bed-day",
			"solar_kwh_per_kwp":      "Solar yield",
			"co2e_avoided_kg":        "Emissions avoided by solar",
			"grid_hours":             "Hours with grid",
			"grid_availability_pct":  "Grid availability",
			"generator_fuel_l":       "Generator fuel",
			"co2e_energy_kg":         "Energy emissions",
			"waste_kg":               "Waste",
			"hazardous_waste_kg":     "Hazardous waste",
			"hazardous_share_pct":    "Hazardous share",
			"safely_treated_pct":     "Hazardous waste safely treated",
			"unsafe_disposal_kg":     "Unsafe disposal",
			"storage_exceeded_count": "Stored too long",
			"waste_per_bed_kg":       "Waste per bed-day",
			"co2e_waste_kg":          "Waste treatment emissions",
		},
		Units: map[string]string{
			"kWh": "kWh", "kg": "kg", "L": "L", "%": "%", "h": "h",
			"kWh/kWp": "kWh/kWp", "kg CO2e": "kg CO₂e", "events": "hand-overs",
		},
	}
}

func arabicFigureWords() *figureWords {
	return &figureWords{
		Title:   "أرقام هذه المنشأة",
		Link:    "الأرقام",
		Loading: "جارٍ التحميل…",
		Tabs:    [3]string{"اليوم", "أمس", "هذا الشهر"},
		Script: map[string]string{
			"energy":             "الكهرباء",
			"solar":              "الطاقة الشمسية",
			"grid":               "الشبكة والمولدة",
			"waste":              "نفايات الرعاية الصحية",
			"classes":            "النفايات حسب الفئة وطريقة المعالجة",
			"class_columns":      "الفئة والمعالجة|كغم|مرات التسليم",
			"agent":              "هذا البرنامج",
			"official":           "الخادم المركزي",
			"chart_energy":       "الكهرباء يوماً بيوم (كيلوواط ساعة)",
			"chart_waste":        "النفايات يوماً بيوم (كغم)",
			"hours_of":           "{live} ساعة من {covered} ساعة",
			"no_value":           "—",
			"no_readings":        "لا توجد قراءات لهذه المدة بعد.",
			"no_waste":           "لم تُسجَّل نفايات في هذه المدة.",
			"computed":           "حُسبت على هذا البرنامج من قراءاته في {time}.",
			"computed_since":     "حُسبت على هذا البرنامج في {time} من القراءات التي أخذها منذ {since}؛ وأرقام الخادم المركزي تشمل أيضًا قراءات وصلته بطريق آخر.",
			"since_partial":      "عمود هذا البرنامج لا يحسب إلا القراءات التي أخذها منذ {since}.",
			"official_at":        "أرقام الخادم المركزي محسوبة في {computed}، ووصلت في {received}.",
			"official_offline":   "الاتصال بالخادم المركزي مقطوع: أرقامه هي آخر ما وصل، في {received}؛ وأرقام هذا البرنامج محدّثة.",
			"official_none":      "لم تصل أرقام هذا الشهر من الخادم المركزي بعد.",
			"offline":            "الاتصال بالخادم المركزي مقطوع؛ هذه الأرقام من قراءات هذا البرنامج نفسه.",
			"recent_logged_out":  "انتهت جلستك. أعد تحميل الصفحة وسجّل الدخول مرة أخرى.",
			"recent_failed":      "تعذّر تحميل الأرقام: أجاب البرنامج بالرمز {status}{detail}.",
			"recent_unreachable": "تعذّر تحميل الأرقام: تعذّر الوصول إلى البرنامج ({err}). جارٍ إعادة المحاولة…",
		},
		Names: map[string]string{
			"grid_kwh":               "الشبكة الوطنية",
			"generator_kwh":          "المولدة",
			"other_kwh":              "مصادر أخرى",
			"solar_kwh":              "الطاقة الشمسية",
			"energy_kwh":             "الكهرباء المستهلكة",
			"renewable_share_pct":    "نسبة الطاقة المتجددة",
			"energy_per_bed_kwh":     "الكهرباء لكل سرير يومياً",
			"solar_kwh_per_kwp":      "الإنتاج الشمسي لكل كيلوواط ذروة",
			"co2e_avoided_kg":        "الانبعاثات المتجنبة بالطاقة الشمسية",
			"grid_hours":             "ساعات توفر الشبكة",
			"grid_availability_pct":  "توفر كهرباء الشبكة",
			"generator_fuel_l":       "وقود المولدة",
			"co2e_energy_kg":         "انبعاثات الطاقة",
			"waste_kg":               "النفايات",
			"hazardous_waste_kg":     "النفايات الخطرة",
			"hazardous_share_pct":    "نسبة النفايات الخطرة",
			"safely_treated_pct":     "النفايات الخطرة المعالجة بأمان",
			"unsafe_disposal_kg":     "التخلص غير الآمن",
			"storage_exceeded_count": "نفايات خُزنت أطول من الحد",
			"waste_per_bed_kg":       "النفايات لكل سرير يومياً",
			"co2e_waste_kg":          "انبعاثات معالجة النفايات",
		},
		Units: map[string]string{
			"kWh": "كيلوواط ساعة", "kg": "كغم", "L": "لتر", "%": "٪", "h": "ساعة",
			"kWh/kWp": "كيلوواط ساعة/كيلوواط ذروة", "kg CO2e": "كغم مكافئ CO₂", "events": "مرات التسليم",
		},
	}
}
