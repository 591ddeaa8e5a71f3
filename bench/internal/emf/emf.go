// Package emf reads the CloudWatch Embedded Metric Format lines the
// Lambda code writes (lambda/metrics): the same figures the dashboard and
// alarms use, taken from the functions' own output instead of a clock
// around them.
package emf

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/hasivu/infra/bench/internal/stats"
)

// Doc is one EMF document: one metric's values for one set of dimension
// values.
type Doc struct {
	// Metric is the metric name (e.g. OperationDuration).
	Metric string
	// Unit is its unit as EMF spells it (Milliseconds, Count).
	Unit string
	// Values are the recorded values (a Count metric has one, the sum).
	Values []float64
	// Dims are the dimension values, by dimension name (Function, Query,
	// Cache).
	Dims map[string]string
	// Time is the document's timestamp: when the invocation flushed it.
	Time time.Time
}

type document struct {
	AWS struct {
		Timestamp         int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
}

// ErrNotEMF is returned for a line that is not an EMF document.
var ErrNotEMF = errors.New("not an EMF document")

// Parse reads one line. Lines that are not EMF documents (plain log
// lines, JSON without an _aws member) return ErrNotEMF.
func Parse(line []byte) ([]Doc, error) {
	var d document
	if len(line) == 0 || line[0] != '{' {
		return nil, ErrNotEMF
	}
	if err := json.Unmarshal(line, &d); err != nil || len(d.AWS.CloudWatchMetrics) == 0 {
		return nil, ErrNotEMF
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(line, &raw); err != nil {
		return nil, ErrNotEMF
	}
	at := time.UnixMilli(d.AWS.Timestamp)
	var out []Doc
	for _, cw := range d.AWS.CloudWatchMetrics {
		dims := map[string]string{}
		for _, set := range cw.Dimensions {
			for _, name := range set {
				var v string
				if err := json.Unmarshal(raw[name], &v); err == nil {
					dims[name] = v
				}
			}
		}
		for _, m := range cw.Metrics {
			values, err := numbers(raw[m.Name])
			if err != nil {
				return nil, err
			}
			out = append(out, Doc{Metric: m.Name, Unit: m.Unit, Values: values, Dims: dims, Time: at})
		}
	}
	return out, nil
}

// numbers decodes an EMF value: a number or an array of numbers.
func numbers(b json.RawMessage) ([]float64, error) {
	if len(b) == 0 {
		return nil, errors.New("EMF document lacks the values of a declared metric")
	}
	var one float64
	if err := json.Unmarshal(b, &one); err == nil {
		return []float64{one}, nil
	}
	var many []float64
	if err := json.Unmarshal(b, &many); err != nil {
		return nil, err
	}
	return many, nil
}

// Collector gathers the documents of a stream of lines. It is safe for
// concurrent use.
type Collector struct {
	mu   sync.Mutex
	docs []Doc
	// Other counts lines that were not EMF documents.
	other int
}

// Add parses a line and keeps its documents; other lines are counted.
func (c *Collector) Add(line []byte) {
	docs, err := Parse(line)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.other++
		return
	}
	c.docs = append(c.docs, docs...)
}

// ReadFrom adds every line of r until it ends.
func (c *Collector) ReadFrom(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var n int64
	for sc.Scan() {
		n += int64(len(sc.Bytes())) + 1
		c.Add(sc.Bytes())
	}
	return n, sc.Err()
}

// Filter selects documents.
type Filter struct {
	// Metric is required.
	Metric string
	// Dims that must match (a missing dimension never matches).
	Dims map[string]string
	// From and To bound the document time (zero: unbounded); From is
	// inclusive, To exclusive.
	From, To time.Time
}

func (f Filter) match(d Doc) bool {
	if d.Metric != f.Metric {
		return false
	}
	if !f.From.IsZero() && d.Time.Before(f.From) || !f.To.IsZero() && !d.Time.Before(f.To) {
		return false
	}
	for k, v := range f.Dims {
		if got, ok := d.Dims[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// Durations returns the values of the matching millisecond metrics as
// durations.
func (c *Collector) Durations(f Filter) []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Duration
	for _, d := range c.docs {
		if f.match(d) {
			for _, v := range d.Values {
				out = append(out, stats.FromMillis(v))
			}
		}
	}
	return out
}

// Sum returns the sum of the matching values (for Count metrics).
func (c *Collector) Sum(f Filter) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var sum float64
	for _, d := range c.docs {
		if f.match(d) {
			for _, v := range d.Values {
				sum += v
			}
		}
	}
	return sum
}

// DimValues returns the distinct values of dimension dim among the
// matching documents, in first-seen order.
func (c *Collector) DimValues(f Filter, dim string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, d := range c.docs {
		if v, ok := d.Dims[dim]; ok && f.match(d) && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// Slice returns a collector holding the documents kept from the from-th
// up to (not including) the to-th, in arrival order: the documents between
// two calls of Len.
func (c *Collector) Slice(from, to int) *Collector {
	c.mu.Lock()
	defer c.mu.Unlock()
	to = min(to, len(c.docs))
	from = min(from, to)
	return &Collector{docs: append([]Doc(nil), c.docs[from:to]...)}
}

// Len returns how many documents were kept.
func (c *Collector) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.docs)
}
