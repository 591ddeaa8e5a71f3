package emf

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	lambdaemf "github.com/hasivu/infra/lambda/emf"
	"github.com/hasivu/infra/lambda/metrics"
)

// The lines the Lambda code wrote under aws-lambda-rie.
const (
	opLine   = `{"Function":"auth-login","OperationDuration":[0.018],"_aws":{"Timestamp":1795727752679,"CloudWatchMetrics":[{"Namespace":"Hasivu/bench","Dimensions":[["Function"]],"Metrics":[{"Name":"OperationDuration","Unit":"Milliseconds"}]}]}}`
	coldLine = `{"ColdStartDuration":[3.045],"Function":"auth-login","_aws":{"Timestamp":1795727752679,"CloudWatchMetrics":[{"Namespace":"Hasivu/bench","Dimensions":[["Function"],[]],"Metrics":[{"Name":"ColdStartDuration","Unit":"Milliseconds"}]}]}}`
)

func TestParseLambdaLines(t *testing.T) {
	docs, err := Parse([]byte(opLine))
	if err != nil || len(docs) != 1 {
		t.Fatalf("Parse = %v, %v", docs, err)
	}
	d := docs[0]
	if d.Metric != "OperationDuration" || d.Unit != "Milliseconds" || len(d.Values) != 1 || d.Values[0] != 0.018 ||
		d.Dims["Function"] != "auth-login" || d.Time.UnixMilli() != 1795727752679 {
		t.Errorf("doc = %+v", d)
	}
	docs, err = Parse([]byte(coldLine))
	if err != nil || docs[0].Metric != "ColdStartDuration" || docs[0].Values[0] != 3.045 {
		t.Errorf("cold start doc = %+v, %v", docs, err)
	}
	for _, line := range []string{"", "INIT REPORT(durationMs: 6.486000)", `{"level":"WARN","msg":"x"}`, `{"_aws":{}}`, `{not json`} {
		if _, err := Parse([]byte(line)); !errors.Is(err, ErrNotEMF) {
			t.Errorf("Parse(%q) = %v, want ErrNotEMF", line, err)
		}
	}
}

// TestReadsWhatTheRecorderWrites feeds the collector the output of the
// Lambda code's own recorder, so a change to the EMF layout breaks here.
func TestReadsWhatTheRecorderWrites(t *testing.T) {
	rec := lambdaemf.NewRecorder("bench", "orders-list")
	rec.Duration(metrics.QueryDuration, 12*time.Millisecond, metrics.DimQuery, "orders.list")
	rec.Duration(metrics.QueryDuration, 3*time.Millisecond, metrics.DimQuery, "orders.list")
	rec.Duration(metrics.QueryDuration, 1*time.Millisecond, metrics.DimQuery, "users.by_email")
	rec.Add(metrics.CacheHits, 1, metrics.DimCache, "orders")
	rec.Add(metrics.CacheHits, 1, metrics.DimCache, "orders")
	rec.Add(metrics.CacheMisses, 1, metrics.DimCache, "menu")
	for i := 0; i < 150; i++ { // more than one document's worth of values
		rec.Duration(metrics.OperationDuration, time.Millisecond)
	}
	var buf bytes.Buffer
	if err := rec.Flush(&buf); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("a plain log line\n")
	var c Collector
	if _, err := c.ReadFrom(&buf); err != nil {
		t.Fatal(err)
	}
	q := c.Durations(Filter{Metric: "QueryDuration", Dims: map[string]string{"Query": "orders.list"}})
	if len(q) != 2 || q[0] != 12*time.Millisecond {
		t.Errorf("orders.list durations = %v", q)
	}
	if got := c.DimValues(Filter{Metric: "QueryDuration"}, "Query"); strings.Join(got, ",") != "orders.list,users.by_email" {
		t.Errorf("queries = %v", got)
	}
	if n := len(c.Durations(Filter{Metric: "OperationDuration", Dims: map[string]string{"Function": "orders-list"}})); n != 150 {
		t.Errorf("%d operation durations, want 150", n)
	}
	if hits := c.Sum(Filter{Metric: "CacheHits"}); hits != 2 {
		t.Errorf("hits = %v", hits)
	}
	if misses := c.Sum(Filter{Metric: "CacheMisses", Dims: map[string]string{"Cache": "menu"}}); misses != 1 {
		t.Errorf("menu misses = %v", misses)
	}
	if c.other != 1 {
		t.Errorf("%d other lines, want 1", c.other)
	}
}

func TestFilterTimeWindow(t *testing.T) {
	var c Collector
	c.Add([]byte(opLine))
	at := time.UnixMilli(1795727752679)
	if n := len(c.Durations(Filter{Metric: "OperationDuration", From: at, To: at.Add(time.Millisecond)})); n != 1 {
		t.Errorf("window containing the doc: %d", n)
	}
	if n := len(c.Durations(Filter{Metric: "OperationDuration", From: at.Add(time.Millisecond)})); n != 0 {
		t.Errorf("window after the doc: %d", n)
	}
	if n := len(c.Durations(Filter{Metric: "OperationDuration", To: at})); n != 0 {
		t.Errorf("window before the doc (To exclusive): %d", n)
	}
}

func TestSlice(t *testing.T) {
	var c Collector
	c.Add([]byte(opLine))
	mark := c.Len()
	c.Add([]byte(coldLine))
	c.Add([]byte(opLine))
	s := c.Slice(mark, c.Len())
	if s.Len() != 2 || len(s.Durations(Filter{Metric: "ColdStartDuration"})) != 1 {
		t.Errorf("slice holds %d documents", s.Len())
	}
	if c.Slice(5, 9).Len() != 0 || c.Slice(0, 1).Len() != 1 {
		t.Error("slice bounds")
	}
}
