package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/hasivu/infra/bench/internal/stats"
)

// SynthCPURatioTarget is the most CPU a synth of the Go app may take per
// unit of CPU the same stacks take synthesised by aws-cdk-lib in Node with
// the same aspects and validation (issue 17): the price of writing the app
// in Go, through jsii, stays within a fifth.
const SynthCPURatioTarget = 1.2

// targetSynthRatio is how the summary states SynthCPURatioTarget.
var targetSynthRatio = "≤ " + planNumber(SynthCPURatioTarget) + "×"

// Run is one timed command: its wall time and the CPU time of every
// process it ran.
type Run struct {
	Wall, CPU time.Duration
}

// Walls returns the runs' wall times; CPUs their CPU times.
func Walls(runs []Run) []time.Duration {
	return pick(runs, func(r Run) time.Duration { return r.Wall })
}

// CPUs returns the runs' CPU times.
func CPUs(runs []Run) []time.Duration { return pick(runs, func(r Run) time.Duration { return r.CPU }) }

func pick(runs []Run, f func(Run) time.Duration) []time.Duration {
	out := make([]time.Duration, len(runs))
	for i, r := range runs {
		out[i] = f(r)
	}
	return out
}

// Baseline compares one stage's synth by the Go app with the Node
// baseline: the jsii requests the Go app made, recorded and replayed
// natively in Node against the same aws-cdk-lib and cdk-nag
// (bench/jsreplay), so that the same construct tree is built, checked and
// synthesised without Go and without the jsii kernel.
type Baseline struct {
	Stage string
	// Go and Node are `cdk synth` of the Go app and of the replay, run
	// alternately in one sitting.
	Go, Node []Run
	// Requests is how many jsii requests the replay made; ReplayOwn how
	// long it spent on its own work (reading the trace, decoding
	// arguments, mapping references), which counts in Node's CPU.
	Requests  int
	ReplayOwn time.Duration
	// Parts is where the Go app's synth CPU goes, from Parts' own runs.
	Parts []Part
}

// Part is one share of a synth's CPU time.
type Part struct {
	// Name says what the part is; How how it was measured.
	Name, How string
	CPU       time.Duration
}

// GoCPU and NodeCPU are the median CPU times of the two synths.
func (b *Baseline) GoCPU() time.Duration { return stats.Median(CPUs(b.Go)) }

// NodeCPU is the median CPU time of the replay's synth.
func (b *Baseline) NodeCPU() time.Duration { return stats.Median(CPUs(b.Node)) }

// Ratio is the Go app's median synth CPU over the Node baseline's.
func (b *Baseline) Ratio() float64 { return float64(b.GoCPU()) / float64(b.NodeCPU()) }

// seconds formats a duration in seconds with one decimal.
func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// synthRows are the summary's synth rows.
func (r *Results) synthRows(add func(section, figure, result, target string, v Verdict)) {
	for _, stage := range r.Expect.Stages {
		s, ok := r.synthStage(stage)
		if !ok || len(s.Runs) == 0 {
			add("synth", stage, "not measured", "-", Missing)
			continue
		}
		res := fmt.Sprintf("%.1f s; %d resources in %d stacks", s.Median().Seconds(), s.Resources(), len(s.Stacks))
		v := Info
		if len(s.CPU) != len(s.Runs) {
			res += "; CPU not measured"
			v = Missing
		} else {
			res = fmt.Sprintf("%.1f s (CPU %s); %d resources in %d stacks", s.Median().Seconds(), seconds(s.MedianCPU()),
				s.Resources(), len(s.Stacks))
		}
		add("synth", fmt.Sprintf("%s, median of %d", stage, len(s.Runs)), res, "-", v)
	}
	if r.Expect.Baseline == "" {
		return
	}
	figure := r.Expect.Baseline + " CPU, Go app ÷ same stacks in Node"
	b := r.Baseline
	if b == nil || b.Stage != r.Expect.Baseline || len(b.Go) == 0 || len(b.Node) == 0 {
		add("synth", figure, "not measured", targetSynthRatio, Missing)
		return
	}
	add("synth", figure, fmt.Sprintf("%.2f× (Go %s, Node %s; medians of %d and %d)", b.Ratio(), seconds(b.GoCPU()),
		seconds(b.NodeCPU()), len(b.Go), len(b.Node)), targetSynthRatio, verdict(b.Ratio() <= SynthCPURatioTarget))
	if len(b.Parts) == 0 {
		add("synth", r.Expect.Baseline+", where the CPU goes", "not measured", "-", Missing)
	}
}

// synthStage returns the stage's synth figures.
func (r *Results) synthStage(stage string) (SynthStage, bool) {
	for _, s := range r.Synth {
		if s.Stage == stage {
			return s, true
		}
	}
	return SynthStage{}, false
}

// synthMarkdown renders the synth section.
func (r *Results) synthMarkdown(b *md) {
	b.p("## Synth")
	b.p("")
	b.p("`cdk synth -q -c stage=<stage>` on a tree the previous synth already built (the Go app's and the Lambda binary's " +
		"builds are skipped while their content keys are unchanged; jsii, cdk-nag and CloudFormation validation run every " +
		"time), one run after the other. *CPU* is the CPU time of every process of the synth: the CDK CLI, the app, " +
		"the jsii kernel and the builds.")
	b.p("")
	rows := [][]string{}
	for _, s := range r.Synth {
		var runs, cpus, stacks []string
		for _, d := range s.Runs {
			runs = append(runs, fmt.Sprintf("%.1f", d.Seconds()))
		}
		for _, d := range s.CPU {
			cpus = append(cpus, fmt.Sprintf("%.1f", d.Seconds()))
		}
		for _, st := range s.Stacks {
			stacks = append(stacks, fmt.Sprintf("%s %d", strings.TrimPrefix(st.Name, "hasivu-"+s.Stage+"-"), st.Resources))
		}
		cpu := "–"
		if len(s.CPU) > 0 {
			cpu = fmt.Sprintf("%s (%s s)", seconds(s.MedianCPU()), strings.Join(cpus, ", "))
		}
		rows = append(rows, []string{s.Stage, fmt.Sprintf("%.1f s", s.Median().Seconds()), strings.Join(runs, ", ") + " s", cpu,
			fmt.Sprint(s.Resources()), strings.Join(stacks, ", ")})
	}
	b.table([]string{"stage", "median", "runs", "CPU median (runs)", "resources", "per stack"}, rows)

	bl := r.Baseline
	if bl == nil || len(bl.Go) == 0 || len(bl.Node) == 0 {
		return
	}
	b.p("### Against the same stacks in Node (%s)", bl.Stage)
	b.p("")
	b.p("The baseline is the %s stage's construct tree built natively in Node: the harness records the %d requests the Go "+
		"app makes to the jsii kernel (`JSII_DEBUG=1`) and `bench/jsreplay/replay.js` makes them as plain JavaScript calls "+
		"(create → `new`, invoke → method call, get/set → property, the Go app's overrides answered with what Go answered) "+
		"against the same aws-cdk-lib, constructs and cdk-nag packages the Go modules embed, run by `cdk synth --app`. "+
		"It writes the Go app's templates, cdk-nag reports and validation report byte for byte (the harness checks it "+
		"before timing), so it builds the same stacks with the same aspects and the same CloudFormation validation. What "+
		"it leaves out is Go: the app's build, the Go process, the Lambda build and the jsii kernel in between. Its own "+
		"work (reading the trace, decoding, mapping references) took %s and is counted against Node. The two synths ran "+
		"alternately; the machine may have been shared.", bl.Stage, bl.Requests, Ms(bl.ReplayOwn))
	b.p("")
	b.table([]string{"", "runs", "wall median", "CPU median", "CPU runs"}, [][]string{
		baselineRow("Go app (`cdk synth`)", bl.Go),
		baselineRow("same stacks in Node (`cdk synth --app \"node bench/jsreplay/replay.js …\"`)", bl.Node),
		{"**Go ÷ Node, CPU**", "", "", fmt.Sprintf("**%.2f×**", bl.Ratio()), "target " + targetSynthRatio},
	})
	if len(bl.Go) == len(bl.Node) {
		var rounds []string
		for i := range bl.Go {
			rounds = append(rounds, fmt.Sprintf("%.2f×", float64(bl.Go[i].CPU)/float64(bl.Node[i].CPU)))
		}
		b.p("Round by round, each Go run over the Node run made beside it: %s.", strings.Join(rounds, ", "))
		b.p("")
	}
	if len(bl.Parts) == 0 {
		return
	}
	b.p("### Where a %s synth's CPU goes", bl.Stage)
	b.p("")
	b.p("Medians of runs made for each part in the same sitting; the parts marked *difference* subtract one median " +
		"from another, so they carry the noise of both (a few tenths of a second here).")
	b.p("")
	rows = nil
	var sum time.Duration
	for _, p := range bl.Parts {
		rows = append(rows, []string{p.Name, seconds(p.CPU), p.How})
		sum += p.CPU
	}
	rows = append(rows, []string{"**Go app's synth, all parts**", "**" + seconds(sum) + "**", "the sum, against " +
		seconds(bl.GoCPU()) + " measured whole"})
	b.table([]string{"part", "CPU", "how it is measured"}, rows)
}

func baselineRow(name string, runs []Run) []string {
	var cpus []string
	for _, r := range runs {
		cpus = append(cpus, fmt.Sprintf("%.1f", r.CPU.Seconds()))
	}
	return []string{name, fmt.Sprint(len(runs)), seconds(stats.Median(Walls(runs))), seconds(stats.Median(CPUs(runs))),
		strings.Join(cpus, ", ") + " s"}
}
