package emf

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/metrics"
)

func decodeLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var docs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var d map[string]any
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("line is not JSON: %v: %s", err, line)
		}
		docs = append(docs, d)
	}
	return docs
}

// directive returns a document's one CloudWatchMetrics directive.
func directive(t *testing.T, d map[string]any) (ns string, dims [][]string, names []string) {
	t.Helper()
	aws := d["_aws"].(map[string]any)
	if _, ok := aws["Timestamp"].(float64); !ok {
		t.Errorf("no Timestamp in %v", d)
	}
	cw := aws["CloudWatchMetrics"].([]any)
	if len(cw) != 1 {
		t.Fatalf("%d directives", len(cw))
	}
	dir := cw[0].(map[string]any)
	for _, set := range dir["Dimensions"].([]any) {
		var s []string
		for _, n := range set.([]any) {
			s = append(s, n.(string))
		}
		dims = append(dims, s)
	}
	for _, m := range dir["Metrics"].([]any) {
		names = append(names, m.(map[string]any)["Name"].(string))
	}
	return dir["Namespace"].(string), dims, names
}

func TestFlushEmitsDeclaredDimensionSets(t *testing.T) {
	r := NewRecorder("prod", "orders-list")
	r.Duration(metrics.OperationDuration, 12500*time.Microsecond)
	r.Duration(metrics.ColdStartDuration, 80*time.Millisecond)
	r.Add(metrics.QueryDuration, 3, metrics.DimQuery, "orders.list")
	r.Add(metrics.QueryDuration, 5, metrics.DimQuery, "orders.list")
	r.Add(metrics.QueryDuration, 1, metrics.DimQuery, "users.by_email")
	r.Add(metrics.CacheHits, 1, metrics.DimCache, "orders")
	r.Add(metrics.CacheHits, 1, metrics.DimCache, "orders")
	r.Add(metrics.CacheMisses, 1, metrics.DimCache, "menu")
	r.Add(metrics.CacheErrors, 1, metrics.DimCache, "menu")
	var buf bytes.Buffer
	if err := r.Flush(&buf); err != nil {
		t.Fatal(err)
	}
	docs := decodeLines(t, buf.String())
	if len(docs) != 7 {
		t.Fatalf("%d documents, want one per metric and dimension values (7):\n%s", len(docs), buf.String())
	}
	seen := map[string]bool{}
	for _, d := range docs {
		ns, dims, names := directive(t, d)
		if ns != "Hasivu/prod" {
			t.Errorf("namespace %q", ns)
		}
		if len(names) != 1 {
			t.Fatalf("metrics %v", names)
		}
		m := byName(names[0])
		if !slices.EqualFunc(dims, m.Dimensions, slices.Equal[[]string]) {
			t.Errorf("%s published under %v, declared %v", m.Name, dims, m.Dimensions)
		}
		for _, set := range dims {
			for _, name := range set {
				if _, ok := d[name].(string); !ok {
					t.Errorf("%s: dimension %s has no value", m.Name, name)
				}
			}
		}
		key := m.Name
		if q, ok := d[metrics.DimQuery].(string); ok {
			key += "/" + q
		}
		if c, ok := d[metrics.DimCache].(string); ok {
			key += "/" + c
		}
		seen[key] = true
		switch key {
		case "OperationDuration":
			assertValues(t, d, key, 12.5)
			if d[metrics.DimFunction] != "orders-list" {
				t.Errorf("Function = %v", d[metrics.DimFunction])
			}
		case "QueryDuration/orders.list":
			assertValues(t, d, key, 3, 5)
			if _, ok := d[metrics.DimFunction]; ok {
				t.Error("QueryDuration carries an undeclared Function dimension")
			}
		case "CacheHits/orders":
			assertValues(t, d, key, 2) // counts are summed
		}
	}
	for _, k := range []string{"OperationDuration", "ColdStartDuration", "QueryDuration/orders.list",
		"QueryDuration/users.by_email", "CacheHits/orders", "CacheMisses/menu", "CacheErrors/menu"} {
		if !seen[k] {
			t.Errorf("no document for %s", k)
		}
	}
	buf.Reset()
	if err := r.Flush(&buf); err != nil || buf.Len() != 0 {
		t.Errorf("second flush wrote %q: the first must forget what it wrote", buf.String())
	}
}

func byName(name string) metrics.Metric {
	for _, m := range metrics.Catalog {
		if m.Name == name {
			return m
		}
	}
	return metrics.Metric{}
}

func assertValues(t *testing.T, d map[string]any, key string, want ...float64) {
	t.Helper()
	name := strings.Split(key, "/")[0]
	raw, _ := d[name].([]any)
	var got []float64
	for _, v := range raw {
		got = append(got, v.(float64))
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s values %v, want %v", key, got, want)
	}
}

func TestUndeclaredDimensionsAreDropped(t *testing.T) {
	r := NewRecorder("dev", "menus-daily")
	r.Add(metrics.QueryDuration, 1)                                              // Query missing
	r.Add(metrics.CacheHits, 1, metrics.DimQuery, "x")                           // wrong dimension
	r.Add(metrics.OperationDuration, 1, metrics.DimCache, "menu")                // extra dimension
	r.Add(metrics.CacheHits, 1, metrics.DimCache, "menu", metrics.DimQuery, "x") // extra dimension
	var buf bytes.Buffer
	if err := r.Flush(&buf); err != nil {
		t.Fatal(err)
	}
	docs := decodeLines(t, buf.String())
	if len(docs) != 4 {
		t.Fatalf("want 4 error lines, got %s", buf.String())
	}
	for _, d := range docs {
		if _, ok := d["_aws"]; ok || d["msg"] != "dropped metric" {
			t.Errorf("published a metric with undeclared dimensions: %v", d)
		}
	}
}

func TestValuesSplitAtHundred(t *testing.T) {
	r := NewRecorder("dev", "f")
	for i := range 250 {
		r.Add(metrics.QueryDuration, float64(i), metrics.DimQuery, "q")
	}
	var buf bytes.Buffer
	_ = r.Flush(&buf)
	docs := decodeLines(t, buf.String())
	if len(docs) != 3 || len(docs[0]["QueryDuration"].([]any)) != 100 || len(docs[2]["QueryDuration"].([]any)) != 50 {
		t.Errorf("250 values split into %d documents", len(docs))
	}
}

func TestNilRecorder(t *testing.T) {
	var r *Recorder
	r.Add(metrics.CacheHits, 1, metrics.DimCache, "x")
	if err := r.Flush(&bytes.Buffer{}); err != nil {
		t.Error(err)
	}
}
