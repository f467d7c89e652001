package registry

// This file holds the reference tables: Iraq's governorates and their
// districts. They are read-only; Governorates returns copies so callers can
// never change them.

// governorate is one row of the governorate table. popK is the approximate
// population in thousands (2018 estimates), used to weight Synthesize and the
// example facility list.
type governorate struct {
	code, name, nameAr string
	minLat, maxLat     float64
	minLon, maxLon     float64
	popK               int
}

// governorates lists the 18 governorates with an ISO 3166-2:IQ code.
// Halabja has been a governorate under Iraqi law but has no ISO 3166-2 code,
// so its district is listed under As Sulaymaniyah (IQ-SU).
var governorates = [...]governorate{
	{"IQ-AN", "Al Anbar", "الأنبار", 30.9, 34.7, 38.8, 44.1, 1800},
	{"IQ-BA", "Al Basrah", "البصرة", 29.0, 31.4, 46.3, 48.7, 2900},
	{"IQ-MU", "Al Muthanna", "المثنى", 29.0, 31.9, 43.3, 46.6, 830},
	{"IQ-QA", "Al Qadisiyah", "القادسية", 31.2, 32.5, 44.3, 45.9, 1300},
	{"IQ-NA", "An Najaf", "النجف", 29.1, 32.3, 42.4, 44.9, 1470},
	{"IQ-AR", "Arbil", "أربيل", 35.6, 37.3, 43.3, 45.1, 1900},
	{"IQ-SU", "As Sulaymaniyah", "السليمانية", 34.3, 36.5, 44.4, 46.4, 2200},
	{"IQ-BB", "Babil", "بابل", 32.0, 33.2, 44.0, 45.2, 2060},
	{"IQ-BG", "Baghdad", "بغداد", 32.8, 33.9, 43.8, 44.9, 8120},
	{"IQ-DA", "Dahuk", "دهوك", 36.6, 37.4, 42.3, 44.3, 1290},
	{"IQ-DQ", "Dhi Qar", "ذي قار", 30.5, 32.1, 45.6, 47.3, 2100},
	{"IQ-DI", "Diyala", "ديالى", 33.2, 35.1, 44.3, 46.1, 1640},
	{"IQ-KA", "Karbala'", "كربلاء", 32.1, 33.1, 43.1, 44.4, 1220},
	{"IQ-KI", "Kirkuk", "كركوك", 34.9, 35.9, 43.3, 44.9, 1600},
	{"IQ-MA", "Maysan", "ميسان", 31.0, 32.8, 46.3, 47.9, 1110},
	{"IQ-NI", "Ninawa", "نينوى", 35.0, 37.1, 41.0, 44.1, 3730},
	{"IQ-SD", "Salah ad Din", "صلاح الدين", 33.5, 35.7, 42.9, 45.1, 1600},
	{"IQ-WA", "Wasit", "واسط", 31.8, 33.5, 44.5, 46.7, 1380},
}

// district is one row of the district table: a real district (qadha), the
// governorate it belongs to, the position of its main town, and a rough
// weight for how many facilities it holds relative to its governorate's other
// districts.
type district struct {
	code, gov, name, nameAr string
	lat, lon                float64
	weight                  int
}

var districts = [...]district{
	// Baghdad
	{"BG-KRK", "IQ-BG", "Al-Karkh", "الكرخ", 33.300, 44.340, 5},
	{"BG-RSF", "IQ-BG", "Al-Rusafa", "الرصافة", 33.340, 44.420, 5},
	{"BG-ADH", "IQ-BG", "Al-Adhamiya", "الأعظمية", 33.370, 44.380, 3},
	{"BG-KDH", "IQ-BG", "Al-Kadhimiya", "الكاظمية", 33.380, 44.340, 3},
	{"BG-SDR", "IQ-BG", "Sadr City", "مدينة الصدر", 33.390, 44.460, 5},
	{"BG-MHM", "IQ-BG", "Al-Mahmudiya", "المحمودية", 33.060, 44.370, 2},
	{"BG-AGH", "IQ-BG", "Abu Ghraib", "أبو غريب", 33.290, 44.070, 2},
	{"BG-TRM", "IQ-BG", "Al-Tarmiyah", "الطارمية", 33.670, 44.390, 1},
	{"BG-MDN", "IQ-BG", "Al-Mada'in", "المدائن", 33.100, 44.580, 1},
	// Basra
	{"BA-BSR", "IQ-BA", "Al-Basrah", "البصرة", 30.510, 47.810, 5},
	{"BA-ZBR", "IQ-BA", "Al-Zubair", "الزبير", 30.390, 47.700, 3},
	{"BA-AKH", "IQ-BA", "Abu Al-Khaseeb", "أبو الخصيب", 30.450, 48.000, 2},
	{"BA-QRN", "IQ-BA", "Al-Qurna", "القرنة", 31.010, 47.430, 2},
	{"BA-FAO", "IQ-BA", "Al-Fao", "الفاو", 29.980, 48.470, 1},
	{"BA-SHA", "IQ-BA", "Shatt al-Arab", "شط العرب", 30.560, 47.900, 1},
	{"BA-MDN", "IQ-BA", "Al-Midaina", "المدينة", 30.950, 47.270, 1},
	// Nineveh
	{"NI-MSL", "IQ-NI", "Mosul", "الموصل", 36.340, 43.130, 8},
	{"NI-TLA", "IQ-NI", "Tel Afar", "تلعفر", 36.380, 42.450, 2},
	{"NI-SNJ", "IQ-NI", "Sinjar", "سنجار", 36.320, 41.870, 2},
	{"NI-HMD", "IQ-NI", "Al-Hamdaniya", "الحمدانية", 36.270, 43.380, 1},
	{"NI-TKF", "IQ-NI", "Tel Kaif", "تلكيف", 36.490, 43.120, 1},
	{"NI-SHK", "IQ-NI", "Shekhan", "الشيخان", 36.700, 43.350, 1},
	{"NI-BAJ", "IQ-NI", "Al-Ba'aj", "البعاج", 36.040, 41.730, 1},
	{"NI-HTR", "IQ-NI", "Al-Hatra", "الحضر", 35.590, 42.720, 1},
	{"NI-MKH", "IQ-NI", "Makhmur", "مخمور", 35.780, 43.580, 1},
	{"NI-AQR", "IQ-NI", "Aqrah", "عقرة", 36.740, 43.890, 1},
	// Erbil
	{"AR-ERB", "IQ-AR", "Erbil", "أربيل", 36.190, 44.010, 6},
	{"AR-SHQ", "IQ-AR", "Shaqlawa", "شقلاوة", 36.400, 44.320, 1},
	{"AR-KOY", "IQ-AR", "Koya", "كويسنجق", 36.080, 44.630, 1},
	{"AR-SRN", "IQ-AR", "Soran", "سوران", 36.650, 44.540, 2},
	{"AR-MRG", "IQ-AR", "Mergasur", "ميركه سور", 36.840, 44.310, 1},
	{"AR-CHM", "IQ-AR", "Choman", "جومان", 36.640, 44.890, 1},
	{"AR-KHB", "IQ-AR", "Khabat", "خبات", 36.270, 43.670, 1},
	// Sulaymaniyah (Halabja included: no ISO 3166-2 code of its own)
	{"SU-SLM", "IQ-SU", "Sulaymaniyah", "السليمانية", 35.560, 45.430, 6},
	{"SU-HLB", "IQ-SU", "Halabja", "حلبجة", 35.180, 45.990, 1},
	{"SU-RNY", "IQ-SU", "Ranya", "رانية", 36.250, 44.880, 1},
	{"SU-PSH", "IQ-SU", "Pshdar", "بشدر", 36.180, 45.120, 1},
	{"SU-DKN", "IQ-SU", "Dukan", "دوكان", 35.950, 44.950, 1},
	{"SU-CHM", "IQ-SU", "Chamchamal", "جمجمال", 35.530, 44.830, 1},
	{"SU-DBK", "IQ-SU", "Darbandikhan", "دربندخان", 35.110, 45.700, 1},
	{"SU-KLR", "IQ-SU", "Kalar", "كلار", 34.630, 45.320, 2},
	{"SU-PNJ", "IQ-SU", "Penjwen", "بنجوين", 35.620, 45.940, 1},
	{"SU-SHZ", "IQ-SU", "Sharazoor", "شهرزور", 35.350, 45.870, 1},
	// Duhok
	{"DA-DHK", "IQ-DA", "Duhok", "دهوك", 36.870, 42.990, 4},
	{"DA-ZKH", "IQ-DA", "Zakho", "زاخو", 37.140, 42.680, 2},
	{"DA-AMD", "IQ-DA", "Amadiya", "العمادية", 37.090, 43.490, 1},
	{"DA-SML", "IQ-DA", "Simele", "سميل", 36.860, 42.850, 1},
	// Kirkuk
	{"KI-KRK", "IQ-KI", "Kirkuk", "كركوك", 35.470, 44.390, 5},
	{"KI-HWJ", "IQ-KI", "Al-Hawija", "الحويجة", 35.320, 43.770, 2},
	{"KI-DQQ", "IQ-KI", "Daquq", "داقوق", 35.130, 44.450, 1},
	{"KI-DBS", "IQ-KI", "Al-Dibis", "الدبس", 35.630, 44.070, 1},
	// Salah ad Din
	{"SD-TKR", "IQ-SD", "Tikrit", "تكريت", 34.610, 43.680, 3},
	{"SD-SMR", "IQ-SD", "Samarra", "سامراء", 34.200, 43.870, 3},
	{"SD-BJI", "IQ-SD", "Baiji", "بيجي", 34.930, 43.490, 1},
	{"SD-BLD", "IQ-SD", "Balad", "بلد", 34.020, 44.150, 2},
	{"SD-DJL", "IQ-SD", "Al-Dujail", "الدجيل", 33.850, 44.230, 1},
	{"SD-TUZ", "IQ-SD", "Tuz Khurmatu", "طوزخورماتو", 34.880, 44.630, 2},
	{"SD-SHR", "IQ-SD", "Al-Shirqat", "الشرقاط", 35.510, 43.230, 1},
	{"SD-DAW", "IQ-SD", "Al-Daur", "الدور", 34.460, 43.800, 1},
	// Diyala
	{"DI-BQB", "IQ-DI", "Baqubah", "بعقوبة", 33.750, 44.640, 4},
	{"DI-MQD", "IQ-DI", "Al-Muqdadiyah", "المقدادية", 33.980, 44.940, 2},
	{"DI-KHN", "IQ-DI", "Khanaqin", "خانقين", 34.350, 45.390, 2},
	{"DI-KHL", "IQ-DI", "Al-Khalis", "الخالص", 33.810, 44.530, 2},
	{"DI-BLR", "IQ-DI", "Balad Ruz", "بلدروز", 33.700, 45.080, 1},
	{"DI-KFR", "IQ-DI", "Kifri", "كفري", 34.690, 44.960, 1},
	// Anbar
	{"AN-RMD", "IQ-AN", "Al-Ramadi", "الرمادي", 33.420, 43.300, 4},
	{"AN-FLJ", "IQ-AN", "Al-Fallujah", "الفلوجة", 33.350, 43.780, 4},
	{"AN-HIT", "IQ-AN", "Hit", "هيت", 33.640, 42.830, 1},
	{"AN-HDT", "IQ-AN", "Haditha", "حديثة", 34.140, 42.380, 1},
	{"AN-ANH", "IQ-AN", "Anah", "عنه", 34.450, 41.960, 1},
	{"AN-RWA", "IQ-AN", "Rawa", "راوة", 34.480, 41.910, 1},
	{"AN-QAM", "IQ-AN", "Al-Qa'im", "القائم", 34.370, 41.090, 2},
	{"AN-RTB", "IQ-AN", "Al-Rutba", "الرطبة", 33.040, 40.280, 1},
	// Babil
	{"BB-HLH", "IQ-BB", "Al-Hillah", "الحلة", 32.480, 44.420, 5},
	{"BB-MHW", "IQ-BB", "Al-Mahawil", "المحاويل", 32.650, 44.400, 2},
	{"BB-HSH", "IQ-BB", "Al-Hashimiya", "الهاشمية", 32.380, 44.650, 2},
	{"BB-MSY", "IQ-BB", "Al-Musayab", "المسيب", 32.780, 44.290, 2},
	// Karbala
	{"KA-KRB", "IQ-KA", "Karbala", "كربلاء", 32.620, 44.020, 5},
	{"KA-HND", "IQ-KA", "Al-Hindiya", "الهندية", 32.540, 44.220, 2},
	{"KA-AIT", "IQ-KA", "Ain al-Tamur", "عين التمر", 32.570, 43.490, 1},
	// Najaf
	{"NA-NJF", "IQ-NA", "Al-Najaf", "النجف", 32.000, 44.330, 5},
	{"NA-KUF", "IQ-NA", "Al-Kufa", "الكوفة", 32.030, 44.400, 2},
	{"NA-MNT", "IQ-NA", "Al-Manathera", "المناذرة", 31.860, 44.480, 1},
	// Qadisiyah
	{"QA-DWN", "IQ-QA", "Al-Diwaniyah", "الديوانية", 31.990, 44.930, 4},
	{"QA-AFK", "IQ-QA", "Afak", "عفك", 32.060, 45.250, 1},
	{"QA-SHM", "IQ-QA", "Al-Shamiya", "الشامية", 31.960, 44.600, 2},
	{"QA-HMZ", "IQ-QA", "Al-Hamza", "الحمزة", 31.720, 44.980, 1},
	// Wasit
	{"WA-KUT", "IQ-WA", "Al-Kut", "الكوت", 32.510, 45.820, 4},
	{"WA-SWR", "IQ-WA", "Al-Suwaira", "الصويرة", 32.930, 44.780, 2},
	{"WA-AZZ", "IQ-WA", "Al-Aziziyah", "العزيزية", 32.910, 45.060, 1},
	{"WA-NUM", "IQ-WA", "Al-Numaniyah", "النعمانية", 32.560, 45.400, 1},
	{"WA-HAI", "IQ-WA", "Al-Hai", "الحي", 32.170, 46.040, 1},
	{"WA-BDR", "IQ-WA", "Badra", "بدرة", 33.110, 45.940, 1},
	// Maysan
	{"MA-AMR", "IQ-MA", "Al-Amarah", "العمارة", 31.840, 47.140, 5},
	{"MA-AGH", "IQ-MA", "Ali al-Gharbi", "علي الغربي", 32.460, 46.690, 1},
	{"MA-MJR", "IQ-MA", "Al-Majar al-Kabir", "المجر الكبير", 31.570, 47.170, 2},
	{"MA-QLS", "IQ-MA", "Qal'at Salih", "قلعة صالح", 31.510, 47.270, 1},
	{"MA-MMN", "IQ-MA", "Al-Maimouna", "الميمونة", 31.710, 46.930, 1},
	{"MA-KHL", "IQ-MA", "Al-Kahla", "الكحلاء", 31.670, 47.310, 1},
	// Dhi Qar
	{"DQ-NSR", "IQ-DQ", "Al-Nasiriyah", "الناصرية", 31.050, 46.260, 5},
	{"DQ-SHT", "IQ-DQ", "Al-Shatra", "الشطرة", 31.410, 46.170, 2},
	{"DQ-RFI", "IQ-DQ", "Al-Rifai", "الرفاعي", 31.720, 46.110, 2},
	{"DQ-SQS", "IQ-DQ", "Suq al-Shuyukh", "سوق الشيوخ", 30.890, 46.470, 2},
	{"DQ-CHB", "IQ-DQ", "Al-Chibayish", "الجبايش", 30.950, 47.030, 1},
	// Muthanna
	{"MU-SMW", "IQ-MU", "Al-Samawah", "السماوة", 31.310, 45.280, 4},
	{"MU-RMT", "IQ-MU", "Al-Rumaitha", "الرميثة", 31.530, 45.200, 2},
	{"MU-KHD", "IQ-MU", "Al-Khidhir", "الخضر", 31.200, 45.550, 1},
	{"MU-SLM", "IQ-MU", "Al-Salman", "السلمان", 30.500, 44.540, 1},
}

// Governorates returns Iraq's governorates with an ISO 3166-2:IQ code, in
// code-table order. Each call returns a fresh slice the caller may modify.
func Governorates() []Governorate {
	out := make([]Governorate, len(governorates))
	for i, g := range governorates {
		out[i] = Governorate{
			Code: g.code, Name: g.name, NameAr: g.nameAr,
			MinLat: g.minLat, MaxLat: g.maxLat, MinLon: g.minLon, MaxLon: g.maxLon,
		}
	}
	return out
}

// lookupGovernorate finds a governorate row by its ISO 3166-2:IQ code.
func lookupGovernorate(code string) (governorate, bool) {
	for _, g := range governorates {
		if g.code == code {
			return g, true
		}
	}
	return governorate{}, false
}

// District is a second-level subdivision the registry's synthesizer knows,
// with its code, governorate and names.
type District struct {
	Code, Governorate, Name, NameAr string
}

// Districts returns the districts of the code table, in table order. A
// ministry's own registry may use other district codes; callers show the
// code where this table has no name. Each call returns a fresh slice.
func Districts() []District {
	out := make([]District, len(districts))
	for i, d := range districts {
		out[i] = District{Code: d.code, Governorate: d.gov, Name: d.name, NameAr: d.nameAr}
	}
	return out
}
