package screening

import (
	"strings"

	"golang.org/x/text/language"
)

// ofacCountries maps the country spellings used by the OFAC list (addresses,
// vessel flags, nationality remarks) to ISO 3166-1 alpha-2 codes. Keys are
// upper case. Written out by hand because the list's spellings ("Korea,
// North", "Burma", "Region: Crimea") are not those of any standard table.
// Spellings that name no single country ("undetermined", "Netherlands
// Antilles", "Region: Kafia Kingi", a territory disputed by Sudan and South
// Sudan) are left out on purpose: such an entry simply has no country.
var ofacCountries = map[string]string{
	"AFGHANISTAN": "AF", "ALBANIA": "AL", "ALGERIA": "DZ", "ANGOLA": "AO", "ARGENTINA": "AR",
	"ARMENIA": "AM", "ARUBA": "AW", "AUSTRALIA": "AU", "AUSTRIA": "AT", "AZERBAIJAN": "AZ",
	"BAHAMAS, THE": "BS", "BAHAMAS": "BS", "BAHRAIN": "BH", "BANGLADESH": "BD", "BARBADOS": "BB",
	"BELARUS": "BY", "BELGIUM": "BE", "BELIZE": "BZ", "BENIN": "BJ", "BOLIVIA": "BO",
	"BOSNIA AND HERZEGOVINA": "BA", "BRAZIL": "BR", "BRUNEI": "BN", "BULGARIA": "BG",
	"BURKINA FASO": "BF", "BURMA": "MM", "BURUNDI": "BI", "CAMBODIA": "KH", "CANADA": "CA",
	"CAYMAN ISLANDS": "KY", "CENTRAL AFRICAN REPUBLIC": "CF", "CHILE": "CL", "CHINA": "CN",
	"COLOMBIA": "CO", "COMOROS": "KM", "CONGO, DEMOCRATIC REPUBLIC OF THE": "CD",
	"CONGO, REPUBLIC OF THE": "CG", "COSTA RICA": "CR", "COTE D IVOIRE": "CI", "CROATIA": "HR",
	"CUBA": "CU", "CYPRUS": "CY", "CZECH REPUBLIC": "CZ", "DENMARK": "DK", "DOMINICA": "DM",
	"DOMINICAN REPUBLIC": "DO", "ECUADOR": "EC", "EGYPT": "EG", "EL SALVADOR": "SV",
	"EQUATORIAL GUINEA": "GQ", "ERITREA": "ER", "ETHIOPIA": "ET", "FINLAND": "FI", "FRANCE": "FR",
	"GEORGIA": "GE", "GERMANY": "DE", "GHANA": "GH", "GIBRALTAR": "GI", "GREECE": "GR",
	"GUATEMALA": "GT", "GUYANA": "GY", "HAITI": "HT", "HONDURAS": "HN", "HONG KONG": "HK",
	"INDIA": "IN", "INDONESIA": "ID", "IRAN": "IR", "IRAQ": "IQ", "IRELAND": "IE", "ISRAEL": "IL",
	"ITALY": "IT", "JAMAICA": "JM", "JAPAN": "JP", "JERSEY": "JE", "JORDAN": "JO",
	"KAZAKHSTAN": "KZ", "KENYA": "KE", "KOREA, NORTH": "KP", "KOREA, SOUTH": "KR", "KOSOVO": "XK",
	"KUWAIT": "KW", "KYRGYZSTAN": "KG", "LAOS": "LA", "LATVIA": "LV", "LEBANON": "LB",
	"LIBERIA": "LR", "LIBYA": "LY", "LIECHTENSTEIN": "LI", "LUXEMBOURG": "LU", "MACAU": "MO",
	"MALAYSIA": "MY", "MALDIVES": "MV", "MALI": "ML", "MALTA": "MT", "MARSHALL ISLANDS": "MH",
	"MAURITANIA": "MR", "MEXICO": "MX", "MOLDOVA": "MD", "MONGOLIA": "MN", "MONTENEGRO": "ME",
	"MOROCCO": "MA", "MOZAMBIQUE": "MZ", "NAMIBIA": "NA", "NETHERLANDS": "NL", "NEW ZEALAND": "NZ",
	"NICARAGUA": "NI", "NIGER": "NE", "NIGERIA": "NG", "NORWAY": "NO", "OMAN": "OM",
	"PAKISTAN": "PK", "PALAU": "PW", "PALESTINIAN": "PS", "PANAMA": "PA", "PARAGUAY": "PY",
	"PERU": "PE", "PHILIPPINES": "PH", "POLAND": "PL", "QATAR": "QA", "REGION: CRIMEA": "UA",
	"REGION: GAZA": "PS", "REGION: NORTHERN MALI": "ML", "ROMANIA": "RO", "RUSSIA": "RU",
	"RWANDA": "RW", "SAINT KITTS AND NEVIS": "KN", "SAINT VINCENT AND THE GRENADINES": "VC",
	"SAMOA": "WS", "SAUDI ARABIA": "SA", "SENEGAL": "SN", "SERBIA": "RS", "SEYCHELLES": "SC",
	"SIERRA LEONE": "SL", "SINGAPORE": "SG", "SLOVAKIA": "SK", "SLOVENIA": "SI", "SOMALIA": "SO",
	"SOUTH AFRICA": "ZA", "SOUTH SUDAN": "SS", "SPAIN": "ES", "SRI LANKA": "LK", "SUDAN": "SD",
	"SWEDEN": "SE", "SWITZERLAND": "CH", "SYRIA": "SY", "TAIWAN": "TW", "TAJIKISTAN": "TJ",
	"TANZANIA": "TZ", "THAILAND": "TH", "THE GAMBIA": "GM", "GAMBIA": "GM", "TRINIDAD AND TOBAGO": "TT",
	"TUNISIA": "TN", "TURKEY": "TR", "TURKMENISTAN": "TM", "UGANDA": "UG", "UKRAINE": "UA",
	"UNITED ARAB EMIRATES": "AE", "UNITED KINGDOM": "GB", "UNITED STATES": "US", "URUGUAY": "UY",
	"UZBEKISTAN": "UZ", "VANUATU": "VU", "VENEZUELA": "VE", "VIETNAM": "VN",
	"VIRGIN ISLANDS, BRITISH": "VG", "WEST BANK": "PS", "YEMEN": "YE", "ZIMBABWE": "ZW",
	"CZECHIA": "CZ", "PALESTINE": "PS", "NORTH KOREA": "KP", "SOUTH KOREA": "KR",
}

// countryCode maps a country as spelled on the OFAC list to its alpha-2
// code, or "" when unknown.
func countryCode(name string) string {
	return ofacCountries[strings.ToUpper(strings.TrimSpace(name))]
}

// validCountry reports whether code is an ISO 3166-1 alpha-2 country code
// (upper case), as known to golang.org/x/text/language.
func validCountry(code string) bool {
	if len(code) != 2 || strings.ToUpper(code) != code {
		return false
	}
	r, err := language.ParseRegion(code)
	return err == nil && r.IsCountry() && r.String() == code
}

// programCountries maps sanctions programmes aimed at one country to that
// country: a party listed under CUBA has a Cuban nexus even when its
// addresses are abroad. Programmes about a region or a theme (BALKANS,
// UKRAINE-EO13660, SDGT, ...) name no single country and are left out.
var programCountries = []struct{ prefix, code string }{
	{"CUBA", "CU"}, {"IRAN", "IR"}, {"CAATSA - IRAN", "IR"}, {"HRIT-IR", "IR"}, {"IRGC", "IR"},
	{"IFSR", "IR"}, {"ISA", "IR"}, {"SYRIA", "SY"}, {"HRIT-SY", "SY"}, {"FSE-SY", "SY"},
	{"DPRK", "KP"}, {"VENEZUELA", "VE"}, {"BELARUS", "BY"}, {"BURMA", "MM"}, {"ZIMBABWE", "ZW"},
	{"IRAQ", "IQ"}, {"LIBYA", "LY"}, {"SOUTH SUDAN", "SS"}, {"DARFUR", "SD"}, {"SOMALIA", "SO"},
	{"YEMEN", "YE"}, {"CAR", "CF"}, {"DRCONGO", "CD"}, {"LEBANON", "LB"}, {"NICARAGUA", "NI"},
	{"MALI", "ML"}, {"BURUNDI", "BI"}, {"HK-EO13936", "HK"}, {"CAATSA - RUSSIA", "RU"}, {"RUSSIA-EO14024", "RU"},
}

// programCountry returns the country a programme is aimed at, or "".
func programCountry(program string) string {
	for _, pc := range programCountries {
		if program == pc.prefix || strings.HasPrefix(program, pc.prefix+"-") || strings.HasPrefix(program, pc.prefix+"2") ||
			strings.HasPrefix(program, pc.prefix+"3") || strings.HasPrefix(program, pc.prefix+"4") {
			return pc.code
		}
	}
	return ""
}
