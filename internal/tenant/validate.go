package tenant

import (
	"regexp"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/apperr"
)

var (
	nameRe    = regexp.MustCompile(`^[a-z][a-z0-9]{1,29}$`)
	countryRe = regexp.MustCompile(`^[A-Za-z]{2}$`)
	domainRe  = regexp.MustCompile(`^(?i)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// iso4217 lists the active ISO 4217 currency codes.
const iso4217 = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD " +
	"CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD " +
	"HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD " +
	"MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG " +
	"QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD " +
	"TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG"

// ValidCurrency tells whether code is an active ISO 4217 code.
func ValidCurrency(code string) bool {
	return len(code) == 3 && strings.Contains(" "+iso4217+" ", " "+code+" ")
}

// CreateParams are the inputs of account creation.
type CreateParams struct {
	Name     string
	Country  string
	Domain   string
	TimeZone string
	Currency string
	// DBDSN, when set, is an existing PostgreSQL database for the account.
	DBDSN string
}

// Normalise validates p and fills defaults; every error names the field.
func (p *CreateParams) Normalise() error {
	if !nameRe.MatchString(p.Name) {
		return apperr.Invalidf("--name", p.Name, "must be 2-30 lower-case letters or digits, starting with a letter")
	}
	if !countryRe.MatchString(p.Country) {
		return apperr.Invalidf("--country", p.Country, "must be a two-letter country code such as gb or uk")
	}
	p.Country = strings.ToLower(p.Country)
	if p.Domain != "" {
		p.Domain = strings.ToLower(strings.TrimSuffix(p.Domain, "."))
		if len(p.Domain) > 253 || !domainRe.MatchString(p.Domain) {
			return apperr.Invalidf("--domain", p.Domain, "must be a host name such as shop.example.com")
		}
	}
	if p.TimeZone == "" {
		p.TimeZone = "Europe/London"
	}
	if p.TimeZone == "Local" || strings.TrimSpace(p.TimeZone) != p.TimeZone {
		return apperr.Invalidf("--timezone", p.TimeZone, "must be an IANA time zone such as Europe/London")
	}
	if _, err := time.LoadLocation(p.TimeZone); err != nil {
		return apperr.Invalidf("--timezone", p.TimeZone, "must be an IANA time zone such as Europe/London")
	}
	if p.Currency == "" {
		p.Currency = "GBP"
	}
	p.Currency = strings.ToUpper(p.Currency)
	if !ValidCurrency(p.Currency) {
		return apperr.Invalidf("--currency", p.Currency, "must be an ISO 4217 currency code such as GBP")
	}
	if p.DBDSN != "" && !strings.HasPrefix(p.DBDSN, "postgres://") && !strings.HasPrefix(p.DBDSN, "postgresql://") {
		return apperr.Invalidf("--db-dsn", "", "must be a postgres:// URL")
	}
	return nil
}

// Token is the account token, c-a-<name>-<cc>.
func (p *CreateParams) Token() string { return "c-a-" + p.Name + "-" + p.Country }

// DBName is the client database name, cubed_a_<name>_<cc>.
func (p *CreateParams) DBName() string { return "cubed_a_" + p.Name + "_" + p.Country }
