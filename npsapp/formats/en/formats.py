# Day, month in letters, year, 24-hour clock: "7 Dec 2026, 13:30". Never US numeric
# ("12/07/2026 1:30 p.m."), which a European reader takes for 12 July. Input formats stay Django's.
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "F Y"
