package fake

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/apps/integrations"
)

// ---- Google Ads -----------------------------------------------------------

func googleErr(w http.ResponseWriter, status int, st, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": status, "message": msg, "status": st}})
}

// googleAuth checks the bearer token and developer token.
func (s *Server) googleAuth(w http.ResponseWriter, r *http.Request, name string, ads bool) bool {
	s.count("google " + name)
	if s.injected(w, integrations.Google) {
		return false
	}
	if !s.validAccess(r, integrations.Google) {
		googleErr(w, http.StatusUnauthorized, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token.")
		return false
	}
	if ads && r.Header.Get("developer-token") != DeveloperToken {
		googleErr(w, http.StatusUnauthorized, "UNAUTHENTICATED", "The developer token is not valid.")
		return false
	}
	return true
}

func (s *Server) googleListCustomers(w http.ResponseWriter, r *http.Request) {
	if !s.googleAuth(w, r, "listAccessibleCustomers", true) {
		return
	}
	names := []string{}
	for _, a := range s.accounts(integrations.Google) {
		names = append(names, "customers/"+a.ID)
	}
	writeJSON(w, http.StatusOK, map[string]any{"resourceNames": names})
}

var gaqlDates = regexp.MustCompile(`(?i)segments\.date\s+between\s+'(\d{4}-\d{2}-\d{2})'\s+and\s+'(\d{4}-\d{2}-\d{2})'`)

func (s *Server) googleSearchStream(w http.ResponseWriter, r *http.Request) {
	if !s.googleAuth(w, r, "searchStream", true) {
		return
	}
	acct, ok := s.account(integrations.Google, r.PathValue("id"))
	if !ok {
		googleErr(w, http.StatusForbidden, "PERMISSION_DENIED", "The caller does not have permission to access customer "+r.PathValue("id"))
		return
	}
	var req struct {
		Query string `json:"query"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Query == "" {
		googleErr(w, http.StatusBadRequest, "INVALID_ARGUMENT", "The request must have a query.")
		return
	}
	q := strings.ToLower(req.Query)
	customer := map[string]any{"resourceName": "customers/" + acct.ID, "id": acct.ID, "descriptiveName": acct.Name, "currencyCode": acct.Currency, "manager": false}
	var results []map[string]any
	switch {
	case strings.Contains(q, " from customer"):
		results = append(results, map[string]any{"customer": customer})
	case strings.Contains(q, " from campaign"):
		m := gaqlDates.FindStringSubmatch(req.Query)
		if m == nil {
			googleErr(w, http.StatusBadRequest, "INVALID_ARGUMENT", "The fake needs WHERE segments.date BETWEEN 'from' AND 'to'.")
			return
		}
		rows, err := costRows(acct, m[1], m[2])
		if err != nil {
			googleErr(w, http.StatusBadRequest, "INVALID_ARGUMENT", err.Error())
			return
		}
		for _, d := range rows {
			results = append(results, map[string]any{
				"customer": map[string]any{"resourceName": "customers/" + acct.ID, "currencyCode": acct.Currency},
				"campaign": map[string]any{"resourceName": "customers/" + acct.ID + "/campaigns/" + d.campaign.ID, "id": d.campaign.ID, "name": d.campaign.Name},
				"metrics": map[string]any{"impressions": strconv.FormatInt(d.impressions, 10), "clicks": strconv.FormatInt(d.clicks, 10),
					"costMicros": strconv.FormatInt(minorToMicros(d.costMinor, acct.Currency), 10), "conversions": float64(d.conversions),
					"conversionsValue": major(d.valueMinor, acct.Currency)},
				"segments": map[string]any{"date": d.date},
			})
		}
	default:
		googleErr(w, http.StatusBadRequest, "INVALID_ARGUMENT", "The fake answers queries FROM customer or FROM campaign.")
		return
	}
	writeJSON(w, http.StatusOK, []map[string]any{{"results": results, "fieldMask": "fake", "requestId": randomString(8)}})
}

func (s *Server) googleSites(w http.ResponseWriter, r *http.Request) {
	if !s.googleAuth(w, r, "sites", false) {
		return
	}
	entries := []map[string]string{}
	for _, site := range s.opt.Sites {
		entries = append(entries, map[string]string{"siteUrl": site, "permissionLevel": "siteOwner"})
	}
	writeJSON(w, http.StatusOK, map[string]any{"siteEntry": entries})
}

func (s *Server) googleSearchAnalytics(w http.ResponseWriter, r *http.Request) {
	if !s.googleAuth(w, r, "searchAnalytics", false) {
		return
	}
	site := r.PathValue("site")
	known := false
	for _, x := range s.opt.Sites {
		known = known || x == site
	}
	if !known {
		googleErr(w, http.StatusForbidden, "PERMISSION_DENIED", "User does not have sufficient permission for site '"+site+"'.")
		return
	}
	var req struct {
		StartDate  string   `json:"startDate"`
		EndDate    string   `json:"endDate"`
		Dimensions []string `json:"dimensions"`
		RowLimit   int      `json:"rowLimit"`
		StartRow   int      `json:"startRow"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		googleErr(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Bad request body.")
		return
	}
	if req.RowLimit <= 0 {
		req.RowLimit = 1000
	}
	if req.RowLimit > 25000 {
		googleErr(w, http.StatusBadRequest, "INVALID_ARGUMENT", "rowLimit must be at most 25000.")
		return
	}
	rows, err := s.searchRows(site, req.StartDate, req.EndDate)
	if err != nil {
		googleErr(w, http.StatusBadRequest, "INVALID_ARGUMENT", err.Error())
		return
	}
	agg, err := aggregate(rows, req.Dimensions)
	if err != nil {
		googleErr(w, http.StatusBadRequest, "INVALID_ARGUMENT", err.Error())
		return
	}
	start := min(max(req.StartRow, 0), len(agg))
	end := min(start+req.RowLimit, len(agg))
	out := map[string]any{"responseAggregationType": "byPage"}
	if end > start {
		out["rows"] = agg[start:end]
	}
	writeJSON(w, http.StatusOK, out)
}

// ---- Meta Graph API -------------------------------------------------------

func (s *Server) metaAuth(w http.ResponseWriter, r *http.Request, name string) bool {
	s.count("meta_ads " + name)
	if s.injected(w, integrations.MetaAds) {
		return false
	}
	if r.URL.Query().Get("access_token") != "" {
		r.Header.Set("Authorization", "Bearer "+r.URL.Query().Get("access_token"))
	}
	if !s.validAccess(r, integrations.MetaAds) {
		metaErr(w, http.StatusBadRequest, 190, "Error validating access token: The session is invalid.")
		return false
	}
	return true
}

// page serves a slice of items with Graph-style cursor paging.
func page(w http.ResponseWriter, r *http.Request, items []map[string]any) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 500 {
		limit = 25
	}
	after, _ := strconv.Atoi(q.Get("after"))
	after = min(max(after, 0), len(items))
	end := min(after+limit, len(items))
	out := map[string]any{"data": items[after:end]}
	if end < len(items) {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("after", strconv.Itoa(end))
		out["paging"] = map[string]any{"cursors": map[string]string{"after": strconv.Itoa(end)}, "next": baseURL(r) + r.URL.Path + "?" + nq.Encode()}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) metaAdAccounts(w http.ResponseWriter, r *http.Request) {
	if !s.metaAuth(w, r, "adaccounts") {
		return
	}
	items := []map[string]any{}
	for _, a := range s.accounts(integrations.MetaAds) {
		items = append(items, map[string]any{"id": "act_" + a.ID, "account_id": a.ID, "name": a.Name, "currency": a.Currency})
	}
	page(w, r, items)
}

func (s *Server) metaInsights(w http.ResponseWriter, r *http.Request) {
	if !s.metaAuth(w, r, "insights") {
		return
	}
	id, ok := strings.CutPrefix(r.PathValue("act"), "act_")
	acct, known := s.account(integrations.MetaAds, id)
	if !ok || !known {
		metaErr(w, http.StatusBadRequest, 100, "Unsupported get request. Object with ID '"+r.PathValue("act")+"' does not exist.")
		return
	}
	q := r.URL.Query()
	if q.Get("level") != "campaign" || q.Get("time_increment") != "1" {
		metaErr(w, http.StatusBadRequest, 100, "The fake serves level=campaign&time_increment=1.")
		return
	}
	var tr struct{ Since, Until string }
	if err := json.Unmarshal([]byte(q.Get("time_range")), &tr); err != nil {
		metaErr(w, http.StatusBadRequest, 100, "time_range must be JSON {since, until}.")
		return
	}
	rows, err := costRows(acct, tr.Since, tr.Until)
	if err != nil {
		metaErr(w, http.StatusBadRequest, 100, err.Error())
		return
	}
	items := []map[string]any{}
	for _, d := range rows {
		item := map[string]any{
			"account_id": acct.ID, "account_currency": acct.Currency, "campaign_id": d.campaign.ID, "campaign_name": d.campaign.Name,
			"impressions": strconv.FormatInt(d.impressions, 10), "clicks": strconv.FormatInt(d.clicks, 10),
			"spend": decimal(d.costMinor, acct.Currency), "date_start": d.date, "date_stop": d.date,
		}
		if d.conversions > 0 {
			item["actions"] = []map[string]string{{"action_type": "link_click", "value": strconv.FormatInt(d.clicks, 10)},
				{"action_type": "purchase", "value": strconv.FormatInt(d.conversions, 10)}}
			item["action_values"] = []map[string]string{{"action_type": "purchase", "value": decimal(d.valueMinor, acct.Currency)}}
		}
		items = append(items, item)
	}
	page(w, r, items)
}

func (s *Server) metaRevoke(w http.ResponseWriter, r *http.Request) {
	if !s.metaAuth(w, r, "revoke") {
		return
	}
	s.Revoke(integrations.MetaAds)
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

// ---- Microsoft Advertising ------------------------------------------------

func msErr(w http.ResponseWriter, status, code int, errorCode, msg string) {
	writeJSON(w, status, map[string]any{"TrackingId": "fake", "Type": "AdApiFaultDetail",
		"Errors": []map[string]any{{"Code": code, "ErrorCode": errorCode, "Message": msg}}})
}

func (s *Server) msAuth(w http.ResponseWriter, r *http.Request, name string) bool {
	s.count("microsoft_ads " + name)
	if s.injected(w, integrations.MicrosoftAds) {
		return false
	}
	if !s.validAccess(r, integrations.MicrosoftAds) {
		msErr(w, http.StatusUnauthorized, 109, "AuthenticationTokenExpired", "The OAuth access token is invalid or expired.")
		return false
	}
	if r.Header.Get("DeveloperToken") != DeveloperToken {
		msErr(w, http.StatusUnauthorized, 105, "InvalidCredentials", "The developer token is not valid.")
		return false
	}
	return true
}

func (s *Server) msUser(w http.ResponseWriter, r *http.Request) {
	if !s.msAuth(w, r, "User/Query") {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"User": map[string]any{"Id": 424242, "UserName": "fake-user"}})
}

func (s *Server) msAccounts(w http.ResponseWriter, r *http.Request) {
	if !s.msAuth(w, r, "Accounts/Search") {
		return
	}
	accts := []map[string]any{}
	for _, a := range s.accounts(integrations.MicrosoftAds) {
		id, _ := strconv.ParseInt(a.ID, 10, 64)
		parent, _ := strconv.ParseInt(a.ParentID, 10, 64)
		accts = append(accts, map[string]any{"Id": id, "Name": a.Name, "Number": "F" + a.ID, "ParentCustomerId": parent,
			"CurrencyCode": a.Currency, "AccountLifeCycleStatus": "Active"})
	}
	writeJSON(w, http.StatusOK, map[string]any{"Accounts": accts})
}

func (s *Server) msSubmit(w http.ResponseWriter, r *http.Request) {
	if !s.msAuth(w, r, "Submit") {
		return
	}
	var req struct {
		ReportRequest struct {
			Type        string
			Format      string
			Aggregation string
			Scope       struct{ AccountIds []int64 }
			Time        struct {
				CustomDateRangeStart, CustomDateRangeEnd struct{ Day, Month, Year int }
			}
		}
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		msErr(w, http.StatusBadRequest, 100, "InvalidRequest", "Bad request body.")
		return
	}
	rr := req.ReportRequest
	if rr.Type != "CampaignPerformanceReportRequest" || rr.Format != "Csv" || rr.Aggregation != "Daily" || len(rr.Scope.AccountIds) != 1 {
		msErr(w, http.StatusBadRequest, 2001, "InvalidReportRequest", "The fake serves daily CSV campaign performance reports for one account.")
		return
	}
	id := strconv.FormatInt(rr.Scope.AccountIds[0], 10)
	acct, ok := s.account(integrations.MicrosoftAds, id)
	if !ok || r.Header.Get("CustomerAccountId") != id {
		msErr(w, http.StatusBadRequest, 1102, "InvalidAccountId", "Unknown account or CustomerAccountId header mismatch.")
		return
	}
	if acct.ParentID != "" && r.Header.Get("CustomerId") != acct.ParentID {
		msErr(w, http.StatusBadRequest, 1105, "InvalidCustomerId", "The CustomerId header does not own the account.")
		return
	}
	d := func(x struct{ Day, Month, Year int }) string {
		return time.Date(x.Year, time.Month(x.Month), x.Day, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	}
	reqID := "fake-report-" + randomString(8)
	s.mu.Lock()
	s.reports[reqID] = &report{account: acct, from: d(rr.Time.CustomDateRangeStart), to: d(rr.Time.CustomDateRangeEnd)}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"ReportRequestId": reqID})
}

func (s *Server) msPoll(w http.ResponseWriter, r *http.Request) {
	if !s.msAuth(w, r, "Poll") {
		return
	}
	var req struct{ ReportRequestId string }
	_ = json.NewDecoder(r.Body).Decode(&req)
	s.mu.Lock()
	rep, ok := s.reports[req.ReportRequestId]
	polls := 0
	if ok {
		rep.polls++
		polls = rep.polls
	}
	s.mu.Unlock()
	if !ok {
		msErr(w, http.StatusBadRequest, 2100, "InvalidReportId", "Unknown ReportRequestId.")
		return
	}
	status := map[string]any{"Status": "Pending", "ReportDownloadUrl": nil}
	if polls > s.opt.ReportPolls {
		status = map[string]any{"Status": "Success", "ReportDownloadUrl": baseURL(r) + "/microsoft/download/" + req.ReportRequestId + "?sig=" + randomString(8)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"ReportRequestStatus": status})
}

func (s *Server) msDownload(w http.ResponseWriter, r *http.Request) {
	s.count("microsoft_ads download")
	if r.Header.Get("Authorization") != "" {
		http.Error(w, "the download link must be fetched without credentials", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	rep, ok := s.reports[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		http.Error(w, "no such report", http.StatusNotFound)
		return
	}
	rows, err := costRows(rep.account, rep.from, rep.to)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var csvBuf bytes.Buffer
	cw := csv.NewWriter(&csvBuf)
	_ = cw.Write([]string{"TimePeriod", "CampaignId", "CampaignName", "CurrencyCode", "Impressions", "Clicks", "Spend", "Conversions", "Revenue"})
	for _, d := range rows {
		_ = cw.Write([]string{d.date, d.campaign.ID, d.campaign.Name, rep.account.Currency, strconv.FormatInt(d.impressions, 10),
			strconv.FormatInt(d.clicks, 10), decimal(d.costMinor, rep.account.Currency), strconv.FormatInt(d.conversions, 10),
			decimal(d.valueMinor, rep.account.Currency)})
	}
	cw.Flush()
	var zipBuf bytes.Buffer
	zw := zip.NewWriter(&zipBuf)
	f, err := zw.Create(fmt.Sprintf("%s.csv", r.PathValue("id")))
	if err == nil {
		_, err = f.Write(csvBuf.Bytes())
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	_, _ = w.Write(zipBuf.Bytes())
}
