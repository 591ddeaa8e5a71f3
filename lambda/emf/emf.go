// Package emf writes the metrics package's declared metrics as CloudWatch
// Embedded Metric Format log lines: a Recorder buffers one invocation's
// values and writes them when the invocation ends, so recording costs no
// network call on the request path. It is apart from the declarations
// because only the Lambda code writes metrics, while the CDK app reads the
// declarations too.
package emf

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/hasivu/infra/lambda/metrics"
)

// maxValues is the most values EMF accepts for one metric in one document.
const maxValues = 100

// Recorder collects the metrics of one invocation and writes them as
// CloudWatch Embedded Metric Format documents, one JSON line each, when
// the invocation ends. CloudWatch Logs extracts the metrics from the
// function's log stream, so recording costs no network call on the
// request path. A Recorder is safe for concurrent use.
type Recorder struct {
	namespace string
	function  string

	mu      sync.Mutex
	entries []*entry
	errs    []string
}

type entry struct {
	metric metrics.Metric
	dims   []string // name, value pairs in declaration order, metrics.DimFunction excluded
	values []float64
}

// NewRecorder returns a recorder for one invocation of a function in a
// stage. The Function dimension is filled from function.
func NewRecorder(stage, function string) *Recorder {
	return &Recorder{namespace: metrics.Namespace(stage), function: function}
}

// Add records one value of m. dims are name, value pairs for each
// dimension m declares other than metrics.DimFunction, which the recorder
// fills. A value whose dimensions do not match the declaration is dropped and
// reported by Flush, so a typo cannot publish a metric no alarm watches.
func (r *Recorder) Add(m metrics.Metric, value float64, dims ...string) {
	if r == nil {
		return
	}
	want := dimensionNames(m)
	got := make([]string, 0, len(dims)/2)
	for i := 0; i+1 < len(dims); i += 2 {
		got = append(got, dims[i])
	}
	sorted := slices.Clone(got)
	slices.Sort(sorted)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(dims)%2 != 0 || !slices.Equal(sorted, want) {
		r.errs = append(r.errs, fmt.Sprintf("metric %s: dimensions %v, declared %v", m.Name, got, want))
		return
	}
	for _, e := range r.entries {
		if e.metric.Name == m.Name && slices.Equal(e.dims, dims) {
			if m.Unit == metrics.Count {
				e.values[0] += value
			} else {
				e.values = append(e.values, value)
			}
			return
		}
	}
	r.entries = append(r.entries, &entry{metric: m, dims: slices.Clone(dims), values: []float64{value}})
}

// Duration records d in milliseconds.
func (r *Recorder) Duration(m metrics.Metric, d time.Duration, dims ...string) {
	r.Add(m, float64(d.Microseconds())/1000, dims...)
}

// Since records the time elapsed since start in milliseconds.
func (r *Recorder) Since(m metrics.Metric, start time.Time, dims ...string) {
	r.Duration(m, time.Since(start), dims...)
}

// dimensionNames returns the sorted union of m's dimension names without
// metrics.DimFunction.
func dimensionNames(m metrics.Metric) []string {
	var names []string
	for _, set := range m.Dimensions {
		for _, d := range set {
			if d != metrics.DimFunction && !slices.Contains(names, d) {
				names = append(names, d)
			}
		}
	}
	slices.Sort(names)
	if names == nil {
		names = []string{}
	}
	return names
}

type emfMetric struct {
	Name string       `json:"Name"`
	Unit metrics.Unit `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// Flush writes every recorded metric to w as EMF log lines and forgets
// them. Each line is one document for one metric and one set of
// dimension values, published under exactly the declared dimension sets.
func (r *Recorder) Flush(w io.Writer) error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	entries, errs := r.entries, r.errs
	r.entries, r.errs = nil, nil
	r.mu.Unlock()

	var buf bytes.Buffer
	ts := time.Now().UnixMilli()
	for _, e := range entries {
		for start := 0; start < len(e.values); start += maxValues {
			end := min(start+maxValues, len(e.values))
			doc := map[string]any{
				"_aws": emfMeta{Timestamp: ts, CloudWatchMetrics: []emfDirective{{
					Namespace:  r.namespace,
					Dimensions: dimensionSets(e.metric),
					Metrics:    []emfMetric{{Name: e.metric.Name, Unit: e.metric.Unit}},
				}}},
				e.metric.Name: e.values[start:end],
			}
			if usesFunction(e.metric) {
				doc[metrics.DimFunction] = r.function
			}
			for i := 0; i+1 < len(e.dims); i += 2 {
				doc[e.dims[i]] = e.dims[i+1]
			}
			line, err := json.Marshal(doc)
			if err != nil {
				return fmt.Errorf("encode metric %s: %w", e.metric.Name, err)
			}
			buf.Write(line)
			buf.WriteByte('\n')
		}
	}
	for _, msg := range errs {
		line, _ := json.Marshal(map[string]string{"level": "error", "msg": "dropped metric", "error": msg})
		buf.Write(line)
		buf.WriteByte('\n')
	}
	if buf.Len() == 0 {
		return nil
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func dimensionSets(m metrics.Metric) [][]string {
	sets := make([][]string, len(m.Dimensions))
	for i, s := range m.Dimensions {
		sets[i] = append([]string{}, s...) // never null: [] is the no-dimension set
	}
	return sets
}

func usesFunction(m metrics.Metric) bool {
	for _, set := range m.Dimensions {
		if slices.Contains(set, metrics.DimFunction) {
			return true
		}
	}
	return false
}

type ctxKey struct{}

// NewContext returns ctx carrying r, so that the database and cache layers
// record into the current invocation's recorder without extra parameters.
func NewContext(ctx context.Context, r *Recorder) context.Context {
	return context.WithValue(ctx, ctxKey{}, r)
}

// FromContext returns the recorder in ctx, or nil; a nil *Recorder
// records nothing.
func FromContext(ctx context.Context) *Recorder {
	r, _ := ctx.Value(ctxKey{}).(*Recorder)
	return r
}
