// Strings and number/date formats for English and Arabic. Indicator names
// come from the catalog (GET /api/v1/catalog), which has both languages.

const strings = {
  en: {
    title: 'GreenPulse',
    subtitle: 'Climate and health indicators of health facilities',
    national: 'National', area: 'Area', energy: 'Energy', waste: 'Waste', reporting: 'Reporting',
    period: 'Period', day: 'Day', month: 'Month', indicator: 'Indicator',
    download: 'Download CSV', language: 'العربية',
    governorates: 'Governorates', governorate: 'Governorate', districts: 'Districts', district: 'District',
    facilities: 'Facilities', facility: 'Facility', country: 'Iraq', fromFacilities: 'from {n} facilities', nFacilities: '{n} facilities',
    trend: 'Trend', dailyValues: 'Daily values', map: 'Map', mapHint: 'Governorates and facilities coloured by the chosen indicator; click a governorate to open it.',
    noData: 'No value for this period', loading: 'Loading…', error: 'Could not load: ',
    type: 'Type', beds: 'Beds', pvKwp: 'Solar (kWp)', hospital: 'Hospital', phc: 'Primary health care centre', other: 'Other',
    energyMix: 'Electricity by source (kWh)', solarYield: 'Solar yield against what its kWp should give (kWh)',
    solarActual: 'Solar yield', solarExpected: 'Expected: this kWp at the yield per kWp of the governorate’s other solar facilities that day',
    gridAvailability: 'Grid availability (%)', co2e: 'Emissions (kg CO2e)',
    wasteBreakdown: 'Waste by category and treatment (kg)', category: 'Category', treatment: 'Treatment', massKg: 'kg', events: 'Events',
    ranking: 'Facilities ranked by renewable share', underperformers: 'Solar underperformers',
    underperformersHint: 'Facilities whose solar yield per kWp is below 75 % of the median of their governorate’s solar facilities in the period. A facility that did not report every day of the period also falls below: check Reporting.',
    specificYield: 'Yield (kWh/kWp/day)', medianYield: 'Governorate median', ratio: 'Of median',
    byGovernorate: 'By governorate', unsafe: 'Unsafe disposal (open burning or dumping)', storage: 'Waste stored longer than the limit',
    agentsOffline: 'Agents offline or silent', online: 'Online', offline: 'Offline', silent: 'Silent', unknown: 'Not heard from',
    lastReading: 'Last reading', lastStatus: 'Agent status', outboxDepth: 'Waiting to send', lastError: 'Last error', state: 'State',
    never: 'never', noneOffline: 'Every agent is online.', noneFound: 'None in this period.', completeness: 'Reporting completeness by governorate (%)', rows: 'rows',
    agentStatusHint: 'Silent: no reading for 2 hours. Offline: the agent said goodbye or its link dropped (MQTT will).',
    since: 'since the collector started',
    // Agents online whose readings never arrive (reporting view); {when}
    // is when the agent came online.
    onlineButSilent: 'Online but silent', silentSince: 'online since {when}, no reading since',
    onlineButSilentHint: 'The agent is connected and says the broker took its readings, yet none arrived: the broker’s ACL lets its status through but not its readings, or the collector rejects them (see the rejected messages and the rejections alert).',
    noneOnlineButSilent: 'No agent is online without its readings arriving.',
    comma: ', ',
    // The latest push to DHIS2 (reporting view). {month} is the month
    // pushed, {when} the local date and time the push started.
    pushed: 'DHIS2: {month} pushed {when}', nothingPushed: 'DHIS2: nothing pushed yet',
    pushLogFailed: 'DHIS2: the push log could not be read', pushStopped: 'stopped: ', dryRun: '(dry run)',
    laterDryRun: 'a dry run followed on {when}',
    pushValues: {one: '{n} value', other: '{n} values'},
    pushConflicts: {zero: 'no conflicts', one: '{n} conflict', other: '{n} conflicts'},
    pushUnmapped: {one: '{n} facility without an org unit', other: '{n} facilities without an org unit'},
    conflictsOfPush: 'Values DHIS2 refused in this push', quantity: 'Quantity', errorCode: 'Error code', message: 'Message',
    andMore: 'and {n} more',
    // Alerts (alerts view, facility page).
    alerts: 'Alerts', alertsHint: 'Facility alerts raised by the collector, newest first. An administrator, or the facility’s own account, acknowledges them.',
    alertsOff: 'Alerts are turned off in this collector (alerts.enabled: false in its configuration).',
    alertsFailed: 'The alerts could not be loaded: ', noAlerts: 'No alerts match.', facilityAlerts: 'Alerts of this facility',
    allGovernorates: 'All governorates', allSeverities: 'All severities', allRules: 'All rules', severity: 'Severity', rule: 'Rule',
    firstSeen: 'Since', lastSeen: 'Last seen', count: 'Count', ackCol: 'Acknowledged', place: 'District, governorate',
    ackedBy: 'Acknowledged by {by}, {when}', acknowledge: 'Acknowledge', ackAs: 'As {user}', ackComment: 'Comment',
    ackSend: 'Acknowledge', ackCancel: 'Cancel', ackSending: 'Sending…',
    ackErr: {401: 'Your session has ended: sign in again.', 403: 'Your account may not acknowledge this alert.',
      409: 'This alert has cleared in the meantime; it can no longer be acknowledged.', 404: 'This alert no longer exists.', 400: 'The comment is too long (at most 1,000 characters).',
      other: 'Acknowledging failed: '},
    csvAlerts: 'Download these alerts (CSV)',
    filterState: {active: 'Active', active_unacknowledged: 'Not acknowledged', active_acknowledged: 'Acknowledged', cleared: 'Cleared', all: 'All'},
    alertState: {active_unacknowledged: 'Active', active_acknowledged: 'Active, acknowledged', cleared: 'Cleared {when}'},
    sev: {critical: 'Critical', warning: 'Warning', info: 'Info'},
    rules: {open_burning: 'Open burning', open_dumping: 'Open dumping', storage_exceeded: 'Waste stored too long', agent_silent: 'Agent silent or offline',
      outbox_backlog: 'Old outbox backlog', grid_availability_low: 'Low grid availability', solar_underperforming: 'Solar below its peers',
      generator_fuel_high: 'High generator fuel per kWh', waste_not_reported: 'Waste not reported', rejections_repeated: 'Repeated rejected readings'},
    cat: {infectious: 'Infectious', sharps: 'Sharps', pathological: 'Pathological', pharmaceutical: 'Pharmaceutical', chemical: 'Chemical', radioactive: 'Radioactive', general: 'General'},
    treat: {autoclave: 'Autoclave', microwave: 'Microwave', incineration: 'Incineration', chemical: 'Chemical', encapsulation: 'Encapsulation', offsite: 'Off-site', landfill: 'Landfill', open_burning: 'Open burning', open_dumping: 'Open dumping', other: 'Other'},
    unit: {'%': '%', kWh: 'kWh', kg: 'kg', L: 'L', 'kg CO2e': 'kg CO2e', events: 'events', 'kWh per bed-day': 'kWh/bed-day', 'kg per bed-day': 'kg/bed-day'},
    // Signing in and out; who is signed in (the header); what an account
    // may not see. {wait} is a number of seconds written with seconds.
    signIn: 'Sign in', signOut: 'Sign out', signInTitle: 'Sign in to GreenPulse', userName: 'User name', password: 'Password',
    signingIn: 'Signing in…', signInHint: 'Your administrator gives you an account. Sign out when you leave a shared computer.',
    signInErr: {401: 'Wrong user name or password.', 429: 'Too many failed sign-ins: try again in {wait}.', tooMany: 'Too many failed sign-ins: try again later.',
      other: 'Signing in failed: '},
    seconds: {one: '{n} second', other: '{n} seconds'},
    sessionEnded: 'Your session has ended: sign in again.',
    forbidden: 'Not allowed for your account.', needsSignIn: 'Sign in to see this page.', backHome: 'Back to your start page',
    publicHint: 'Public figures: the country and its governorates. Sign in for facilities, alerts and reporting.',
    signedInAs: 'Signed in as',
    roles: {planner: 'Planner', officer: 'Governorate officer', facility: 'Facility staff', admin: 'Administrator', token: 'API token', public: 'Public', open: 'Open access'},
    // The Events view (mass gatherings against their baseline).
    eventsNav: 'Events', eventsTitle: 'Mass gatherings',
    noEvents: 'No events are configured in this collector (the events: section of its configuration).',
    unknownEvent: 'Event {id} is not configured here: pick one of the list.',
    eventDays: {one: '{n} day', other: '{n} days'}, weeks: {one: '{n} week', other: '{n} weeks'},
    baselineOf: 'baseline: the same weekday in the {weeks} before ({from} – {to})',
    csvSurge: 'Download every day and measure (CSV)', eventSource: 'Dates: {source}',
    computedAt: 'Computed {when}; the figures follow the roll-ups.',
    nothingInScope: 'None of this event’s areas is within your account’s scope.',
    outsideScope: 'The event as a whole covers areas outside your account’s scope: shown are the parts you may see.',
    eventPick: 'Event', measurePick: 'Measure', baseline: 'Baseline', timelineOf: 'Show',
    exceeded: 'Hazardous waste beyond safe treatment',
    exceededHint: 'Facilities whose hazardous waste over the event’s days exceeded what they treated safely, most left untreated first.',
    exceededSignIn: 'Sign in to see which facilities.', exceededScope: 'None of this event’s facilities is within your account’s scope.',
    hazardous_kg: 'Hazardous (kg)', safely_treated_kg: 'Treated safely (kg)', untreated_kg: 'Not treated safely (kg)', facilityPage: 'Page',
    noneExceeded: 'Every facility treated its hazardous waste safely during the event.',
    previousTitle: 'Against the same event a year earlier',
    previousNoData: 'There are no figures for {name}: nothing to compare with.',
    previousNone: 'No earlier event of this series is configured: nothing to compare with.',
    previousScope: 'The comparison is of the whole event, which covers areas outside your account’s scope.',
    previousHint: 'Totals over each event’s days; the earlier one ran {from} – {to}.',
    ratioCol: '× baseline', change: 'This ÷ earlier',
    areasTitle: 'Areas: total, baseline and ratio per measure', levelCol: 'Level', value: 'Total',
    levels: {event: 'Whole event', governorate: 'Governorate', district: 'District', facility: 'Facility'},
    surgeMap: 'Surge: {measure} during the event ÷ baseline',
    surgeMapHint: 'Facilities (circles) and the event’s governorates coloured by the event’s total over its baseline; click one for its days.',
    surgeMapHintAreas: 'The event’s governorates coloured by the event’s total over its baseline; click one for its days.',
    noBaseline: 'no baseline', baselineBand: 'Baseline range (least to greatest)', eventValue: 'During the event',
    timeline: 'Day by day: {measure} ({unit}), {area}',
  },
  ar: {
    title: 'غرين بلس',
    subtitle: 'مؤشرات المناخ والصحة للمؤسسات الصحية',
    national: 'وطني', area: 'المنطقة', energy: 'الطاقة', waste: 'النفايات', reporting: 'الإبلاغ',
    period: 'الفترة', day: 'يوم', month: 'شهر', indicator: 'المؤشر',
    download: 'تنزيل CSV', language: 'English',
    governorates: 'المحافظات', governorate: 'المحافظة', districts: 'الأقضية', district: 'القضاء',
    facilities: 'المؤسسات الصحية', facility: 'المؤسسة', country: 'العراق', fromFacilities: 'من {n} مؤسسة', nFacilities: '{n} مؤسسة',
    trend: 'الاتجاه', dailyValues: 'القيم اليومية', map: 'الخريطة', mapHint: 'المحافظات والمؤسسات ملونة حسب المؤشر المختار؛ انقر على محافظة لفتحها.',
    noData: 'لا توجد قيمة لهذه الفترة', loading: 'جارٍ التحميل…', error: 'تعذّر التحميل: ',
    type: 'النوع', beds: 'الأسرّة', pvKwp: 'الطاقة الشمسية (كيلوواط ذروة)', hospital: 'مستشفى', phc: 'مركز رعاية صحية أولية', other: 'أخرى',
    energyMix: 'الكهرباء حسب المصدر (ك.و.س)', solarYield: 'إنتاج الطاقة الشمسية مقارنة بالمتوقع من قدرتها (ك.و.س)',
    solarActual: 'الإنتاج الشمسي', solarExpected: 'المتوقع: هذه القدرة بإنتاج كل كيلوواط ذروة لدى المؤسسات الشمسية الأخرى في المحافظة ذلك اليوم',
    gridAvailability: 'توفر كهرباء الشبكة (%)', co2e: 'الانبعاثات (كغم مكافئ ثاني أكسيد الكربون)',
    wasteBreakdown: 'النفايات حسب الفئة وطريقة المعالجة (كغم)', category: 'الفئة', treatment: 'المعالجة', massKg: 'كغم', events: 'المرات',
    ranking: 'ترتيب المؤسسات حسب نسبة الطاقة المتجددة', underperformers: 'منظومات شمسية دون الأداء المتوقع',
    underperformersHint: 'مؤسسات إنتاجها الشمسي لكل كيلوواط ذروة أقل من 75 % من وسيط مؤسسات محافظتها خلال الفترة. المؤسسة التي لم تُبلغ كل أيام الفترة تظهر هنا أيضاً: راجع صفحة الإبلاغ.',
    specificYield: 'الإنتاج (ك.و.س/كيلوواط ذروة/يوم)', medianYield: 'وسيط المحافظة', ratio: 'من الوسيط',
    byGovernorate: 'حسب المحافظة', unsafe: 'التخلص غير الآمن (حرق أو رمي مكشوف)', storage: 'نفايات خُزنت مدة أطول من الحد',
    agentsOffline: 'وكلاء غير متصلين أو صامتون', online: 'متصل', offline: 'غير متصل', silent: 'صامت', unknown: 'لم يُسمع منه',
    lastReading: 'آخر قراءة', lastStatus: 'حالة الوكيل', outboxDepth: 'بانتظار الإرسال', lastError: 'آخر خطأ', state: 'الحالة',
    never: 'أبداً', noneOffline: 'جميع الوكلاء متصلون.', noneFound: 'لا شيء في هذه الفترة.', completeness: 'اكتمال الإبلاغ حسب المحافظة (%)', rows: 'صفوف',
    agentStatusHint: 'صامت: لا قراءة منذ ساعتين. غير متصل: أعلن الوكيل انقطاعه أو انقطع اتصاله.',
    since: 'منذ بدء تشغيل المجمّع',
    onlineButSilent: 'متصل لكن صامت', silentSince: 'متصل منذ {when}، دون أي قراءة منذ ذلك',
    onlineButSilentHint: 'الوكيل متصل ويقول إن الوسيط استلم قراءاته، لكن لم يصل منها شيء: قائمة صلاحيات الوسيط (ACL) تسمح بحالته دون قراءاته، أو أن المُجمِّع يرفضها (راجع الرسائل المرفوضة وتنبيه الرفض المتكرر).',
    noneOnlineButSilent: 'لا يوجد وكيل متصل دون وصول قراءاته.',
    comma: '، ',
    pushed: 'DHIS2: أُرسلت بيانات {month} في {when}', nothingPushed: 'DHIS2: لم تُرسل أي بيانات بعد',
    pushLogFailed: 'DHIS2: تعذّرت قراءة سجل الإرسال', pushStopped: 'توقّف الإرسال: ', dryRun: '(تشغيل تجريبي)',
    laterDryRun: 'وتلا ذلك تشغيل تجريبي في {when}',
    pushValues: {zero: 'لا قيم', one: 'قيمة واحدة', two: 'قيمتان', few: '{n} قيم', many: '{n} قيمة', other: '{n} قيمة'},
    pushConflicts: {zero: 'بلا تعارضات', one: 'تعارض واحد', two: 'تعارضان', few: '{n} تعارضات', many: '{n} تعارضًا', other: '{n} تعارض'},
    pushUnmapped: {one: 'مؤسسة واحدة بلا وحدة تنظيمية في DHIS2', two: 'مؤسستان بلا وحدة تنظيمية في DHIS2', few: '{n} مؤسسات بلا وحدة تنظيمية في DHIS2',
      many: '{n} مؤسسة بلا وحدة تنظيمية في DHIS2', other: '{n} مؤسسة بلا وحدة تنظيمية في DHIS2'},
    conflictsOfPush: 'القيم التي رفضها DHIS2 في هذا الإرسال', quantity: 'الكمية', errorCode: 'رمز الخطأ', message: 'الرسالة',
    andMore: 'و{n} غيرها',
    alerts: 'التنبيهات', alertsHint: 'تنبيهات المؤسسات التي يصدرها المجمّع، الأحدث أولاً. يُقرّ بها مسؤول النظام أو حساب المؤسسة نفسها.',
    alertsOff: 'التنبيهات معطّلة في هذا المجمّع (alerts.enabled: false في إعداداته).',
    alertsFailed: 'تعذّر تحميل التنبيهات: ', noAlerts: 'لا توجد تنبيهات مطابقة.', facilityAlerts: 'تنبيهات هذه المؤسسة',
    allGovernorates: 'كل المحافظات', allSeverities: 'كل الدرجات', allRules: 'كل القواعد', severity: 'الخطورة', rule: 'القاعدة',
    firstSeen: 'منذ', lastSeen: 'آخر رصد', count: 'العدد', ackCol: 'الإقرار', place: 'القضاء، المحافظة',
    ackedBy: 'أقرّ به {by}، {when}', acknowledge: 'إقرار', ackAs: 'باسم {user}', ackComment: 'تعليق',
    ackSend: 'إقرار', ackCancel: 'إلغاء', ackSending: 'جارٍ الإرسال…',
    ackErr: {401: 'انتهت جلستك: سجّل الدخول مجدداً.', 403: 'لا يسمح حسابك بالإقرار بهذا التنبيه.',
      409: 'زال هذا التنبيه في الأثناء؛ لم يعد بالإمكان الإقرار به.', 404: 'لم يعد هذا التنبيه موجوداً.', 400: 'التعليق أطول من اللازم (ألف حرف على الأكثر).',
      other: 'تعذّر الإقرار: '},
    csvAlerts: 'تنزيل هذه التنبيهات (CSV)',
    filterState: {active: 'نشطة', active_unacknowledged: 'غير مُقرّ بها', active_acknowledged: 'مُقرّ بها', cleared: 'زالت', all: 'الكل'},
    alertState: {active_unacknowledged: 'نشط', active_acknowledged: 'نشط، مُقرّ به', cleared: 'زال {when}'},
    sev: {critical: 'حرج', warning: 'تحذير', info: 'معلومة'},
    rules: {open_burning: 'حرق مكشوف', open_dumping: 'رمي مكشوف', storage_exceeded: 'نفايات مخزّنة مدة طويلة', agent_silent: 'الوكيل صامت أو غير متصل',
      outbox_backlog: 'تراكم قديم في صندوق الإرسال', grid_availability_low: 'توفر منخفض لكهرباء الشبكة', solar_underperforming: 'الطاقة الشمسية دون نظيراتها',
      generator_fuel_high: 'وقود مولد مرتفع لكل ك.و.س', waste_not_reported: 'لم يُبلّغ عن النفايات', rejections_repeated: 'قراءات مرفوضة متكررة'},
    cat: {infectious: 'معدية', sharps: 'أدوات حادة', pathological: 'باثولوجية', pharmaceutical: 'صيدلانية', chemical: 'كيميائية', radioactive: 'مشعة', general: 'عامة'},
    treat: {autoclave: 'تعقيم بالبخار', microwave: 'موجات دقيقة', incineration: 'حرق في محرقة', chemical: 'كيميائية', encapsulation: 'تغليف', offsite: 'خارج المؤسسة', landfill: 'طمر', open_burning: 'حرق مكشوف', open_dumping: 'رمي مكشوف', other: 'أخرى'},
    unit: {'%': '%', kWh: 'ك.و.س', kg: 'كغم', L: 'لتر', 'kg CO2e': 'كغم مكافئ CO2', events: 'مرات', 'kWh per bed-day': 'ك.و.س/سرير/يوم', 'kg per bed-day': 'كغم/سرير/يوم'},
    signIn: 'تسجيل الدخول', signOut: 'تسجيل الخروج', signInTitle: 'تسجيل الدخول إلى غرين بلس', userName: 'اسم المستخدم', password: 'كلمة المرور',
    signingIn: 'جارٍ تسجيل الدخول…', signInHint: 'يمنحك مسؤول النظام حساباً. سجّل الخروج عند مغادرة حاسوب مشترك.',
    signInErr: {401: 'اسم المستخدم أو كلمة المرور غير صحيحة.', 429: 'محاولات دخول فاشلة كثيرة: أعد المحاولة بعد {wait}.', tooMany: 'محاولات دخول فاشلة كثيرة: أعد المحاولة لاحقاً.',
      other: 'تعذّر تسجيل الدخول: '},
    seconds: {zero: '{n} ثانية', one: 'ثانية واحدة', two: 'ثانيتين', few: '{n} ثوانٍ', many: '{n} ثانية', other: '{n} ثانية'},
    sessionEnded: 'انتهت جلستك: سجّل الدخول مجدداً.',
    forbidden: 'غير مسموح لحسابك.', needsSignIn: 'سجّل الدخول لرؤية هذه الصفحة.', backHome: 'العودة إلى صفحتك الأولى',
    publicHint: 'أرقام عامة: البلد ومحافظاته. سجّل الدخول لرؤية المؤسسات والتنبيهات والإبلاغ.',
    signedInAs: 'مسجّل الدخول باسم',
    roles: {planner: 'مخطِّط', officer: 'مسؤول محافظة', facility: 'كادر المؤسسة', admin: 'مسؤول النظام', token: 'رمز API', public: 'عام', open: 'وصول مفتوح'},
    eventsNav: 'التجمعات الكبرى', eventsTitle: 'التجمعات الكبرى',
    noEvents: 'لم يُعرَّف أي تجمع في هذا المجمّع (قسم events: في إعداداته).',
    unknownEvent: 'التجمع {id} غير معرَّف هنا: اختر واحداً من القائمة.',
    eventDays: {zero: '{n} يوم', one: 'يوم واحد', two: 'يومان', few: '{n} أيام', many: '{n} يوماً', other: '{n} يوم'},
    weeks: {one: 'أسبوع واحد', two: 'أسبوعين', few: '{n} أسابيع', many: '{n} أسبوعاً', other: '{n} أسبوع'},
    baselineOf: 'خط الأساس: اليوم نفسه من الأسبوع في {weeks} قبل التجمع ({from} – {to})',
    csvSurge: 'تنزيل كل الأيام والمقاييس (CSV)', eventSource: 'مصدر التواريخ: {source}',
    computedAt: 'حُسبت في {when}؛ تتبع الأرقام عمليات التجميع.',
    nothingInScope: 'لا تقع أي من مناطق هذا التجمع ضمن نطاق حسابك.',
    outsideScope: 'يشمل التجمع ككل مناطق خارج نطاق حسابك: تُعرض الأجزاء المسموح لك برؤيتها.',
    eventPick: 'التجمع', measurePick: 'المقياس', baseline: 'خط الأساس', timelineOf: 'عرض',
    exceeded: 'نفايات خطرة تجاوزت المعالجة الآمنة',
    exceededHint: 'المؤسسات التي تجاوزت نفاياتها الخطرة خلال أيام التجمع ما عالجته بأمان، الأكثر نفايات غير معالجة أولاً.',
    exceededSignIn: 'سجّل الدخول لمعرفة المؤسسات.', exceededScope: 'لا تقع أي من مؤسسات هذا التجمع ضمن نطاق حسابك.',
    hazardous_kg: 'خطرة (كغم)', safely_treated_kg: 'عولجت بأمان (كغم)', untreated_kg: 'لم تُعالج بأمان (كغم)', facilityPage: 'الصفحة',
    noneExceeded: 'عالجت كل المؤسسات نفاياتها الخطرة بأمان خلال التجمع.',
    previousTitle: 'مقارنة بالتجمع نفسه قبل عام',
    previousNoData: 'لا توجد أرقام لـ{name}: لا شيء للمقارنة.',
    previousNone: 'لم يُعرَّف تجمع سابق من هذه السلسلة: لا شيء للمقارنة.',
    previousScope: 'المقارنة للتجمع كله، وهو يشمل مناطق خارج نطاق حسابك.',
    previousHint: 'المجاميع على أيام كل تجمع؛ امتد السابق من {from} إلى {to}.',
    ratioCol: '× خط الأساس', change: 'هذا ÷ السابق',
    areasTitle: 'المناطق: المجموع وخط الأساس والنسبة لكل مقياس', levelCol: 'المستوى', value: 'المجموع',
    levels: {event: 'التجمع كله', governorate: 'محافظة', district: 'قضاء', facility: 'مؤسسة'},
    surgeMap: 'الزيادة: {measure} خلال التجمع ÷ خط الأساس',
    surgeMapHint: 'المؤسسات (دوائر) ومحافظات التجمع ملونة حسب مجموع التجمع مقسوماً على خط الأساس؛ انقر على أيٍّ منها لعرض أيامه.',
    surgeMapHintAreas: 'محافظات التجمع ملونة حسب مجموع التجمع مقسوماً على خط الأساس؛ انقر على محافظة لعرض أيامها.',
    noBaseline: 'بلا خط أساس', baselineBand: 'نطاق خط الأساس (الأدنى إلى الأعلى)', eventValue: 'خلال التجمع',
    timeline: 'يوماً بيوم: {measure} ({unit})، {area}',
  },
};

// I18n formats for one language. Arabic uses ar-IQ, which writes
// Arabic-Indic digits as Iraqi readers expect.
export class I18n {
  constructor(lang) {
    this.lang = lang === 'ar' ? 'ar' : 'en';
    this.locale = this.lang === 'ar' ? 'ar-IQ' : 'en-GB';
    this.s = strings[this.lang];
    this.formats = new Map();
  }

  t(key) { return this.s[key] ?? strings.en[key] ?? key; }
  category(c) { return this.s.cat[c] ?? c; }
  treatment(c) { return this.s.treat[c] ?? c; }
  unit(u) { return this.s.unit[u] ?? u; }
  // rule names an alert rule; a rule this page does not know yet is shown
  // by its id.
  rule(id) { return this.s.rules[id] ?? strings.en.rules[id] ?? id; }
  severity(s) { return this.s.sev[s] ?? s; }
  // role names an account's role (GET /api/v1/session).
  role(r) { return this.s.roles[r] ?? strings.en.roles[r] ?? r; }
  // ruleIds are the alert rules this page has names for.
  static ruleIds() { return Object.keys(strings.en.rules); }
  // indicator names a catalog entry.
  indicator(def) { return this.lang === 'ar' ? def.name_ar : def.name_en; }

  // decimals says how a value is shown: one decimal for percentages,
  // fewer for large quantities. The browser tests use the same rule.
  static decimals(value, unit) {
    if (unit === '%') return 1;
    if (unit === 'events') return 0;
    const a = Math.abs(value);
    if (a >= 100) return 0;
    if (a >= 10) return 1;
    return 2;
  }

  number(value, decimals) {
    if (value === null || value === undefined || Number.isNaN(value)) return '–';
    let f = this.formats.get(decimals);
    if (!f) {
      f = new Intl.NumberFormat(this.locale, {minimumFractionDigits: decimals, maximumFractionDigits: decimals});
      this.formats.set(decimals, f);
    }
    return f.format(value);
  }

  value(value, unit) {
    if (value === null || value === undefined) return '–';
    return this.number(value, I18n.decimals(value, unit));
  }

  withUnit(value, unit) {
    if (value === null || value === undefined) return '–';
    return `${this.value(value, unit)} ${this.unit(unit)}`;
  }

  // calendar writes a local calendar date (YYYY-MM-DD, or YYYY-MM for a
  // month) as it is, whatever the browser's own timezone: a date is not
  // an instant.
  calendar(ymd, kind) {
    const [y, m, d = 1] = ymd.split('-').map(Number);
    const opts = kind === 'month' ? {year: 'numeric', month: 'long'} : {year: 'numeric', month: 'short', day: 'numeric'};
    return new Intl.DateTimeFormat(this.locale, {...opts, timeZone: 'UTC'}).format(new Date(Date.UTC(y, m - 1, d)));
  }

  // fill writes the string of key with each {name} replaced by vars[name].
  fill(key, vars) {
    return this.t(key).replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  }

  // plural writes the count n in the form of key that the language gives
  // it (forms named as Intl.PluralRules names them: zero, one, two, few,
  // many, other), the number formatted as every other number.
  plural(key, n) {
    const forms = this.s[key] ?? strings.en[key];
    this.plurals ??= new Intl.PluralRules(this.locale);
    const form = (n === 0 && forms.zero) || forms[this.plurals.select(n)] || forms.other;
    return form.replace('{n}', this.number(n, 0));
  }

  // dayMonth writes a local date (YYYY-MM-DD) without its year, as a
  // chart's axis of a few weeks does.
  dayMonth(ymd) {
    const [y, m, d] = ymd.split('-').map(Number);
    return new Intl.DateTimeFormat(this.locale, {day: 'numeric', month: 'short', timeZone: 'UTC'}).format(new Date(Date.UTC(y, m - 1, d)));
  }

  // month names a month (YYYY-MM), with its year when withYear.
  month(ym, withYear) {
    const [y, m] = ym.split('-').map(Number);
    const opts = withYear ? {year: 'numeric', month: 'long'} : {month: 'long'};
    return new Intl.DateTimeFormat(this.locale, {...opts, timeZone: 'UTC'}).format(new Date(Date.UTC(y, m - 1, 1)));
  }

  // moment writes an instant briefly in the collector's timezone, as
  // "2 Dec 02:00": the year only when it is not this year.
  moment(iso, now = new Date()) {
    const at = new Date(iso);
    const year = (d) => new Intl.DateTimeFormat('en', {timeZone: this.tz, year: 'numeric'}).format(d);
    const day = {day: 'numeric', month: 'short', timeZone: this.tz, ...(year(at) === year(now) ? {} : {year: 'numeric'})};
    const time = {hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: this.tz};
    return `${new Intl.DateTimeFormat(this.locale, day).format(at)} ${new Intl.DateTimeFormat(this.locale, time).format(at)}`;
  }

  dateTime(iso) {
    if (!iso) return this.t('never');
    return new Intl.DateTimeFormat(this.locale, {dateStyle: 'medium', timeStyle: 'short', timeZone: this.tz}).format(new Date(iso));
  }
}
