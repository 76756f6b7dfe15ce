package pipeline

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/pace"
	"github.com/azotte/azvalidate/internal/report"
	"github.com/azotte/azvalidate/internal/sandbox"
)

type auditSink struct {
	a *report.Audit
	c collect
}

func (s *auditSink) Write(r *output.Record) error { s.a.Observe(r); return s.c.Write(r) }

func TestZZRealReport(t *testing.T) {
	taken := map[string]bool{}
	for i := 0; i < 4000; i += 37 {
		taken[fmt.Sprintf("id-%d", i)] = true
	}
	sb := sandbox.New(sandbox.Config{Tenant: tenant, APIKey: key, Taken: taken, Latency: 15 * time.Millisecond, Rate: 600, Burst: 50, NoRateLimitHeaders: true,
		FailRate: 0.01, Faults: []sandbox.Fault{sandbox.Fault500, sandbox.Fault502}, FailIDs: map[string]int{"id-77": 500, "id-1234": 404}})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	stats := new(report.Stats)
	pacer := pace.NewAdaptive(pace.Config{Rate: 800, Burst: 16, MaxPause: 200 * time.Millisecond})
	c, err := azotte.New(azotte.Config{BaseURL: srv.URL, Tenant: tenant, APIKey: key, HTTPClient: srv.Client(), Concurrency: 16,
		BackoffBase: time.Millisecond, BackoffMax: 20 * time.Millisecond, Retries: 2, Pacer: pacer, Observe: stats.ObserveAttempt})
	if err != nil {
		t.Fatal(err)
	}
	sum := report.Summary{Tool: "azvalidate", Version: "(devel)", Command: "validate", Start: time.Now(), Output: "checked.csv",
		Input:    report.InputInfo{Name: "crm-export.csv", Format: "csv", Bytes: 812345, SHA256: "5d41402abc4b2a76b9719d911017c592aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
		Settings: report.Settings{BaseURL: srv.URL, Path: azotte.DefaultPath, Tenant: tenant, Concurrency: 16, Rate: 800, Burst: 16, Retries: 2, TimeoutSeconds: 15, IDColumn: "externalId", IDField: "externalId"}}
	a := report.NewAudit(report.AuditConfig{Latency: &stats.Latency})
	sink := &auditSink{a: a}
	if err := Run(context.Background(), Config{Concurrency: 16, Stats: stats}, &rows{n: 9000, distinct: 8000}, c, sink); err != nil {
		t.Fatal(err)
	}
	sum.End = time.Now()
	sum.ExitCode = 3
	stats.Fill(&sum)
	sum.MinRate = pacer.MinRate()
	if err := report.WriteReportFile("/tmp/azvalidate-report.html", sum, a); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteReportFile("/tmp/azvalidate-report.md", sum, a); err != nil {
		t.Fatal(err)
	}
	tp := a.Throughput()
	t.Logf("bucket %v rows %v", tp.Bucket, tp.Rows)
}
