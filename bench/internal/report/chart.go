package report

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/hasivu/infra/bench/internal/stats"
	"github.com/hasivu/infra/plan"
)

var (
	colP50 = color.RGBA{R: 0x4c, G: 0x9b, B: 0xe8, A: 0xff}
	colP95 = color.RGBA{R: 0xf2, G: 0x9e, B: 0x38, A: 0xff}
	colP99 = color.RGBA{R: 0xd9, G: 0x48, B: 0x3b, A: 0xff}
	colRef = color.RGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xff}
)

// percentileBars is one panel: p50, p95 and p99 per function as
// horizontal bars, with the plan's target as a dashed line.
func percentileBars(title string, names []string, sums []stats.Summary, target float64, targetLabel string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "milliseconds"
	p.X.Min = 0
	p.Add(plotter.NewGrid())
	const w = 5
	var max float64
	for i, sel := range []struct {
		name string
		col  color.Color
		f    func(stats.Summary) float64
	}{
		{"p50", colP50, func(s stats.Summary) float64 { return stats.Millis(s.P50) }},
		{"p95", colP95, func(s stats.Summary) float64 { return stats.Millis(s.P95) }},
		{"p99", colP99, func(s stats.Summary) float64 { return stats.Millis(s.P99) }},
	} {
		vals := make(plotter.Values, len(sums))
		for k, s := range sums {
			vals[k] = sel.f(s)
			max = maxf(max, vals[k])
		}
		bars, err := plotter.NewBarChart(vals, vg.Points(w))
		if err != nil {
			return nil, err
		}
		bars.Horizontal = true
		bars.Color = sel.col
		bars.LineStyle.Width = 0
		// Stack the three bars of a function one above the other.
		bars.Offset = vg.Points(w * float64(1-i))
		p.Add(bars)
		p.Legend.Add(sel.name, bars)
	}
	if target > 0 {
		line, err := plotter.NewLine(plotter.XYs{{X: target, Y: -0.5}, {X: target, Y: float64(len(names)) - 0.5}})
		if err != nil {
			return nil, err
		}
		line.Color = colRef
		line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(line)
		p.Legend.Add(targetLabel, line)
		// Show the target only when the bars come near it; otherwise the
		// bars would be slivers against an axis scaled to the target.
		if max > target/4 {
			p.X.Max = maxf(max, target) * 1.1
		} else {
			p.X.Max = max * 1.15
			p.Legend.Add(fmt.Sprintf("(target %s, off the scale)", Ms(stats.FromMillis(target))))
		}
	}
	p.NominalY(names...)
	// Bottom right: the last functions' bars are short, the target line
	// is right of them.
	p.Legend.Top = false
	p.Legend.Left = false
	return p, nil
}

func maxf(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}

// Chart writes a PNG: warm latency percentiles per function under the
// mixed load and, beside it, cold-start init percentiles.
func (r *Results) Chart(path string) error {
	var panels []*plot.Plot
	if len(r.Warm) > 0 {
		var names []string
		var sums []stats.Summary
		for i := len(r.Warm) - 1; i >= 0; i-- { // the first function at the top
			names = append(names, r.Warm[i].Function)
			sums = append(sums, r.Warm[i].Client)
		}
		p, err := percentileBars("Warm latency per function, mixed load", names, sums,
			stats.Millis(plan.Warm), "target "+planTime(plan.Warm))
		if err != nil {
			return err
		}
		panels = append(panels, p)
	}
	if len(r.Cold) > 0 {
		var names []string
		var sums []stats.Summary
		for i := len(r.Cold) - 1; i >= 0; i-- {
			names = append(names, r.Cold[i].Function)
			sums = append(sums, r.Cold[i].Init)
		}
		p, err := percentileBars("Cold start (init) per function, aws-lambda-rie", names, sums,
			stats.Millis(plan.ColdStart), "target "+planTime(plan.ColdStart))
		if err != nil {
			return err
		}
		panels = append(panels, p)
	}
	if len(panels) == 0 {
		return fmt.Errorf("no latencies to chart")
	}
	width := vg.Points(480 * float64(len(panels)))
	img := vgimg.NewWith(vgimg.UseWH(width, vg.Points(400)), vgimg.UseDPI(96))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Points(16), PadTop: vg.Points(8),
		PadBottom: vg.Points(8), PadLeft: vg.Points(8), PadRight: vg.Points(8)}
	canvases := plot.Align([][]*plot.Plot{panels}, tiles, dc)
	for i, p := range panels {
		p.Draw(canvases[0][i])
	}
	f, err := createFile(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
