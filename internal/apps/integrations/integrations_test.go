package integrations_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/apps/integrations"
	"github.com/cubedhq/cubed/internal/apps/integrations/fake"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

const costCols = `"date", "provider", "external_account_id", "campaign_external_id", "campaign_name", "impressions", "clicks", "cost_minor", "platform_conversions", "platform_conversion_value_minor"`

// sameCampaigns gives every provider one account with the same campaign
// figures, so the three wire formats (Google micros, Meta decimal strings,
// Microsoft's zipped CSV) must yield identical minor units.
func sameCampaigns(currency string) map[string][]fake.Account {
	camps := []fake.Campaign{
		{ID: "11", Name: "Alpha", Impressions: 5000, CTR: 0.03, CPCMinor: 73, ConvRate: 0.05, AOVMinor: 4999},
		{ID: "12", Name: "Beta", Impressions: 900, CTR: 0.08, CPCMinor: 21, ConvRate: 0.1, AOVMinor: 1250},
		{ID: "13", Name: "Gamma", Impressions: 20000, CTR: 0.004, CPCMinor: 140, ConvRate: 0.02, AOVMinor: 8000},
	}
	return map[string][]fake.Account{
		integrations.Google:       {{ID: "1000000001", Name: "G", Currency: currency, Campaigns: camps}},
		integrations.MicrosoftAds: {{ID: "1000000001", ParentID: "77", Name: "M", Currency: currency, Campaigns: camps}},
		integrations.MetaAds:      {{ID: "1000000001", Name: "F", Currency: currency, Campaigns: camps}},
	}
}

func TestConnectImportIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		for _, currency := range []string{"GBP", "JPY"} {
			t.Run(currency, func(t *testing.T) {
				w := newWorld(t, tg, fake.Options{Accounts: sameCampaigns(currency)}, 2)
				a := w.newAccount("demo"+strings.ToLower(currency), currency)
				ctx := context.Background()
				var per [][]string
				for _, p := range integrations.ProviderNames() {
					dest, id := w.connect(p, a)
					if !strings.Contains(dest, "connected=") || !strings.HasPrefix(dest, "/a/"+a.Token+"/integrations?") {
						t.Fatalf("%s: dest %q", p, dest)
					}
					// Tokens are sealed: the raw columns are box values bound
					// to the row, never the token.
					var access, refresh *string
					if err := w.control.QueryRow(ctx, `SELECT "access_token_enc", "refresh_token_enc" FROM "integration_connection" WHERE "id" = ?`, id).Scan(&access, &refresh); err != nil {
						t.Fatal(err)
					}
					if access == nil || !looksSealed(*access) || strings.Contains(*access, "fake-at-") {
						t.Fatalf("%s: access token column %v", p, access)
					}
					if p != integrations.MetaAds && (refresh == nil || !looksSealed(*refresh) || strings.Contains(*refresh, "fake-rt-")) {
						t.Fatalf("%s: refresh token column %v", p, refresh)
					}
					if _, err := w.box.Open(*access, "integration_connection:999:access_token_enc"); err == nil {
						t.Fatal("a sealed token must not open under another row's context")
					}
					st, err := w.svc.ImportAdCosts(ctx, p, a.Account, a.db, day("2024-03-11"))
					if err != nil {
						t.Fatalf("%s: import: %v", p, err)
					}
					if st.From != "2024-03-09" || st.To != "2024-03-11" || st.Rows != 9 || st.Connections != 1 {
						t.Fatalf("%s: stats %+v", p, st)
					}
					q := `SELECT ` + costCols + ` FROM "ad_cost_daily" WHERE "provider" = ? ORDER BY "date", "campaign_external_id"`
					first := rows(t, a.db, q, p)
					if _, err := w.svc.ImportAdCosts(ctx, p, a.Account, a.db, day("2024-03-11")); err != nil {
						t.Fatal(err)
					}
					if again := rows(t, a.db, q, p); strings.Join(again, "\n") != strings.Join(first, "\n") {
						t.Fatalf("%s: second import differs:\n%v\n%v", p, first, again)
					}
					var norm []string
					for _, r := range first {
						f := strings.Split(r, "|")
						norm = append(norm, f[0]+"|"+strings.Join(f[3:], "|"))
					}
					per = append(per, norm)
				}
				for i := 1; i < len(per); i++ {
					if strings.Join(per[i], "\n") != strings.Join(per[0], "\n") {
						t.Fatalf("providers disagree:\n%s\n---\n%s", strings.Join(per[0], "\n"), strings.Join(per[i], "\n"))
					}
				}
				// Restated window overlaps: the next day replaces 03-10..03-12
				// and keeps 03-09.
				if _, err := w.svc.ImportAdCosts(ctx, integrations.Google, a.Account, a.db, day("2024-03-12")); err != nil {
					t.Fatal(err)
				}
				if n := len(rows(t, a.db, `SELECT "id" FROM "ad_cost_daily" WHERE "provider" = 'google'`)); n != 12 {
					t.Fatalf("google rows after the next day: %d, want 12", n)
				}
				// Campaign rows were created once per provider campaign.
				if n := len(rows(t, a.db, `SELECT "id" FROM "campaign" WHERE "platform" IN ('google_ads', 'microsoft_ads', 'meta_ads')`)); n != 9 {
					t.Fatalf("campaigns: %d, want 9", n)
				}
				if n := len(rows(t, a.db, `SELECT "id" FROM "ad_cost_daily" WHERE "campaign_id" IS NULL`)); n != 0 {
					t.Fatalf("%d cost rows without campaign", n)
				}
			})
		}
	})
}

func TestStateChecks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		w := newWorld(t, tg, fake.Options{}, 0)
		a := w.newAccount("demo", "GBP")
		ctx := context.Background()
		mallory := w.newUser("mallory@example.com")
		authorize := func() url.Values {
			t.Helper()
			u, err := w.svc.Begin(ctx, integrations.Google, a.ID, w.user)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(u)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if loc.Path != "/integrations/google/callback" || loc.Query().Get("code") == "" {
				t.Fatalf("authorize redirect %v", loc)
			}
			return loc.Query()
		}
		count := func() int { return len(rows(t, w.control, `SELECT "id" FROM "integration_connection"`)) }
		wantFlow := func(err error, status int) {
			t.Helper()
			var fe *integrations.FlowError
			if !errors.As(err, &fe) || fe.Status != status {
				t.Fatalf("want flow error %d, got %v", status, err)
			}
		}
		q := authorize()
		_, err := w.svc.Complete(ctx, integrations.Google, mallory, q)
		wantFlow(err, http.StatusForbidden)
		_, err = w.svc.Complete(ctx, integrations.MetaAds, w.user, q)
		wantFlow(err, http.StatusBadRequest)
		if count() != 0 {
			t.Fatal("a refused callback stored a connection")
		}
		if _, err := w.svc.Complete(ctx, integrations.Google, w.user, q); err != nil {
			t.Fatalf("the owner's callback after a foreign attempt: %v", err)
		}
		_, err = w.svc.Complete(ctx, integrations.Google, w.user, q)
		wantFlow(err, http.StatusBadRequest) // replay
		if count() != 1 {
			t.Fatalf("%d connections after a replay", count())
		}
		q2 := authorize()
		w.clock.Add(integrations.StateTTL + time.Second)
		_, err = w.svc.Complete(ctx, integrations.Google, w.user, q2)
		wantFlow(err, http.StatusBadRequest) // expired
		bad := url.Values{"state": {"forged"}, "code": {"x"}}
		_, err = w.svc.Complete(ctx, integrations.Google, w.user, bad)
		wantFlow(err, http.StatusBadRequest)
		// A refused consent redirects back with an error and stores nothing.
		q3 := authorize()
		q3.Del("code")
		q3.Set("error", "access_denied")
		dest, err := w.svc.Complete(ctx, integrations.Google, w.user, q3)
		if err != nil || !strings.Contains(dest, "error=denied") || count() != 1 {
			t.Fatalf("denied consent: %q %v %d", dest, err, count())
		}
		// The PKCE verifier is sealed in oauth_state.
		for _, r := range rows(t, w.control, `SELECT "pkce_verifier_enc" FROM "oauth_state"`) {
			if !looksSealed(r) {
				t.Fatalf("pkce verifier stored as %q", r)
			}
		}
		// Reconnecting the same ad account repairs the connection in place.
		w.connect(integrations.Google, a)
		if count() != 1 {
			t.Fatalf("reconnect duplicated the connection: %d", count())
		}
	})
}

func TestRefreshRevokeAndRateLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		w := newWorld(t, tg, fake.Options{TokenLifetime: time.Hour}, 0)
		ctx := context.Background()
		a := w.newAccount("alpha", "GBP")
		b := w.newAccount("beta", "GBP")
		_, ida := w.connect(integrations.Google, a)
		if _, err := w.svc.ImportAdCosts(ctx, integrations.Google, a.Account, a.db, day("2024-03-11")); err != nil {
			t.Fatal(err)
		}
		if n := w.fake.Calls("google token refresh"); n != 0 {
			t.Fatalf("refreshed a fresh token (%d)", n)
		}
		// Expiry: the access token is refreshed before use.
		w.clock.Add(2 * time.Hour)
		if _, err := w.svc.ImportAdCosts(ctx, integrations.Google, a.Account, a.db, day("2024-03-11")); err != nil {
			t.Fatalf("import after expiry: %v", err)
		}
		if n := w.fake.Calls("google token refresh"); n != 1 {
			t.Fatalf("refreshes after expiry: %d, want 1", n)
		}
		// A token the provider rejects early is refreshed once and retried.
		w.fake.ExpireAccessTokens()
		if _, err := w.svc.ImportAdCosts(ctx, integrations.Google, a.Account, a.db, day("2024-03-11")); err != nil {
			t.Fatalf("import with a rejected access token: %v", err)
		}
		if n := w.fake.Calls("google token refresh"); n != 2 {
			t.Fatalf("refreshes after rejection: %d, want 2", n)
		}

		// 429: a typed retry-after error, nothing written, then success.
		before := rows(t, a.db, `SELECT `+costCols+` FROM "ad_cost_daily" ORDER BY "date", "campaign_external_id"`)
		w.fake.Fail(integrations.Google, http.StatusTooManyRequests, 1, 42*time.Second)
		_, err := w.svc.ImportAdCosts(ctx, integrations.Google, a.Account, a.db, day("2024-03-12"))
		var ra interface{ RetryAfter() time.Duration }
		if !errors.As(err, &ra) || ra.RetryAfter() != 42*time.Second {
			t.Fatalf("429: want a RetryAfter error of 42s, got %v", err)
		}
		if after := rows(t, a.db, `SELECT `+costCols+` FROM "ad_cost_daily" ORDER BY "date", "campaign_external_id"`); len(after) != len(before) {
			t.Fatal("a rate-limited import wrote rows")
		}
		if _, err := w.svc.ImportAdCosts(ctx, integrations.Google, a.Account, a.db, day("2024-03-12")); err != nil {
			t.Fatalf("after the rate limit: %v", err)
		}
		// 500: a temporary API error (Conductor retries it with attempts).
		w.fake.Fail(integrations.Google, http.StatusInternalServerError, 1, 0)
		_, err = w.svc.ImportAdCosts(ctx, integrations.Google, a.Account, a.db, day("2024-03-12"))
		var ae *integrations.APIError
		if !errors.As(err, &ae) || !ae.Temporary() {
			t.Fatalf("500: %v", err)
		}

		// A rate limit on the token endpoint during a refresh is a rate
		// limit too, not a broken connection.
		w.clock.Add(2 * time.Hour)
		w.fake.Fail(integrations.Google, http.StatusTooManyRequests, 1, 7*time.Second)
		_, err = w.svc.ImportAdCosts(ctx, integrations.Google, a.Account, a.db, day("2024-03-12"))
		if !errors.As(err, &ra) || ra.RetryAfter() != 7*time.Second {
			t.Fatalf("429 on refresh: %v", err)
		}
		if st, _ := w.status(ida); st != "active" {
			t.Fatalf("a rate-limited refresh broke the connection: %s", st)
		}

		// Revocation: account a's grant is revoked; b connects afterwards
		// with a fresh grant and is unaffected.
		w.fake.Revoke(integrations.Google)
		_, idb := w.connect(integrations.Google, b)
		w.clock.Add(2 * time.Hour)
		_, err = w.svc.ImportAdCosts(ctx, integrations.Google, a.Account, a.db, day("2024-03-12"))
		if !errors.Is(err, integrations.ErrConnectionBroken) || !strings.Contains(err.Error(), "connect it again") {
			t.Fatalf("revoked: want a broken-connection error, got %v", err)
		}
		if st, detail := w.status(ida); st != "broken" || !strings.Contains(detail, "revoked") {
			t.Fatalf("status %q %q", st, detail)
		}
		if _, err := w.svc.ImportAdCosts(ctx, integrations.Google, b.Account, b.db, day("2024-03-12")); err != nil {
			t.Fatalf("another account's import: %v", err)
		}
		if st, _ := w.status(idb); st != "active" {
			t.Fatalf("account b's connection: %s", st)
		}
		// A broken connection fails at once (no provider call) until it is
		// connected again, which repairs it.
		calls := w.fake.Calls("google token refresh")
		if _, err := w.svc.ImportAdCosts(ctx, integrations.Google, a.Account, a.db, day("2024-03-12")); !errors.Is(err, integrations.ErrConnectionBroken) {
			t.Fatalf("second run on a broken connection: %v", err)
		}
		if w.fake.Calls("google token refresh") != calls {
			t.Fatal("a broken connection called the provider")
		}
		w.connect(integrations.Google, a)
		if st, _ := w.status(ida); st != "active" {
			t.Fatalf("after reconnecting: %s", st)
		}
		if _, err := w.svc.ImportAdCosts(ctx, integrations.Google, a.Account, a.db, day("2024-03-12")); err != nil {
			t.Fatalf("after reconnecting: %v", err)
		}
		w.noTokensLogged()
	})
}

func TestMetaLongLivedTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		w := newWorld(t, tg, fake.Options{}, 0)
		ctx := context.Background()
		a := w.newAccount("demo", "GBP")
		_, id := w.connect(integrations.MetaAds, a)
		if n := w.fake.Calls("meta_ads token fb_exchange_token"); n != 1 {
			t.Fatalf("long-lived exchange on connect: %d", n)
		}
		var exp time.Time
		if err := w.control.QueryRow(ctx, `SELECT "expires_at" FROM "integration_connection" WHERE "id" = ?`, id).Scan(&exp); err != nil {
			t.Fatal(err)
		}
		if d := exp.Sub(w.clock.Now()); d < 59*24*time.Hour {
			t.Fatalf("long-lived token expires in %s", d)
		}
		w.clock.Add(54 * 24 * time.Hour) // within the 7-day margin
		if _, err := w.svc.ImportAdCosts(ctx, integrations.MetaAds, a.Account, a.db, day("2024-05-01")); err != nil {
			t.Fatal(err)
		}
		if n := w.fake.Calls("meta_ads token fb_exchange_token"); n != 2 {
			t.Fatalf("re-exchanges before expiry: %d, want 2", n)
		}
		w.clock.Add(61 * 24 * time.Hour) // expired: Meta cannot refresh it
		_, err := w.svc.ImportAdCosts(ctx, integrations.MetaAds, a.Account, a.db, day("2024-07-01"))
		if !errors.Is(err, integrations.ErrConnectionBroken) {
			t.Fatalf("expired long-lived token: %v", err)
		}
	})
}

func TestPickAndSelect(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		accts := fake.DefaultAccounts()
		accts[integrations.Google] = append(accts[integrations.Google], fake.Account{ID: "2222222222", Name: "Second", Currency: "GBP",
			Campaigns: []fake.Campaign{{ID: "901", Name: "Only", Impressions: 100, CTR: 0.1, CPCMinor: 50}}})
		w := newWorld(t, tg, fake.Options{Accounts: accts, Sites: []string{"sc-domain:shop.example.com", "https://www.shop.example.com/"}}, 0)
		ctx := context.Background()
		a := w.newAccount("demo", "GBP")
		dest, id := w.connect(integrations.Google, a)
		if !strings.Contains(dest, "pick=") {
			t.Fatalf("two accounts must ask to pick: %q", dest)
		}
		allow := func(acct int64) bool { return acct == a.ID }
		ch, err := w.svc.PickChoices(ctx, id, allow)
		if err != nil || len(ch["accounts"].([]map[string]any)) != 2 || len(ch["sites"].([]map[string]any)) != 2 {
			t.Fatalf("choices %v %v", ch, err)
		}
		if _, err := w.svc.PickChoices(ctx, id, func(int64) bool { return false }); err == nil {
			t.Fatal("another account's connection must not be visible")
		}
		// Nothing is imported before the pick.
		if st, err := w.svc.ImportAdCosts(ctx, integrations.Google, a.Account, a.db, day("2024-03-11")); err != nil || st.Connections != 0 {
			t.Fatalf("import before pick: %+v %v", st, err)
		}
		_, err = w.svc.Select(ctx, id, "999", "sc-domain:nope", allow)
		var fe *integrations.FieldsError
		if !errors.As(err, &fe) || len(fe.Fields) != 2 {
			t.Fatalf("bad selection: %v", err)
		}
		out, err := w.svc.Select(ctx, id, "2222222222", "https://www.shop.example.com/", allow)
		if err != nil || out["external_account_id"] != "2222222222" || out["name"] != "Second" {
			t.Fatalf("select: %v %v", out, err)
		}
		st, err := w.svc.ImportAdCosts(ctx, integrations.Google, a.Account, a.db, day("2024-03-11"))
		if err != nil || st.Rows != 1 {
			t.Fatalf("import after pick: %+v %v", st, err)
		}
		sc, err := w.svc.ImportSearchConsole(ctx, a.Account, a.db, day("2024-03-11"))
		if err != nil || sc.Rows == 0 {
			t.Fatalf("search console after pick: %+v %v", sc, err)
		}
	})
}

func TestCurrencyMismatchAndDisconnect(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		w := newWorld(t, tg, fake.Options{Accounts: sameCampaigns("USD")}, 0)
		ctx := context.Background()
		a := w.newAccount("demo", "GBP")
		_, id := w.connect(integrations.Google, a)
		_, err := w.svc.ImportAdCosts(ctx, integrations.Google, a.Account, a.db, day("2024-03-11"))
		if err == nil || !strings.Contains(err.Error(), "USD") {
			t.Fatalf("currency mismatch: %v", err)
		}
		if n := len(rows(t, a.db, `SELECT "id" FROM "ad_cost_daily"`)); n != 0 {
			t.Fatalf("%d rows written in another currency", n)
		}
		// The connection resource's DELETE soft-deletes; Sweep then
		// revokes the grant and wipes the tokens.
		w.exec(`UPDATE "integration_connection" SET "deleted" = TRUE, "active" = FALSE WHERE "id" = ?`, id)
		if err := w.svc.Sweep(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if got := rows(t, w.control, `SELECT "status", "access_token_enc", "refresh_token_enc" FROM "integration_connection" WHERE "id" = ?`, id); got[0] != "disconnected|NULL|NULL" {
			t.Fatalf("after sweep: %v", got)
		}
		if w.fake.Calls("google revoke") != 1 {
			t.Fatal("the grant was not revoked at the provider")
		}
		if st, err := w.svc.ImportAdCosts(ctx, integrations.Google, a.Account, a.db, day("2024-03-11")); err != nil || st.Connections != 0 {
			t.Fatalf("a disconnected connection was imported: %+v %v", st, err)
		}
	})
}
