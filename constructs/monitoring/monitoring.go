// Package monitoring builds a service's CloudWatch dashboard and alarms out
// of per-resource segments, after cdk-monitoring-constructs (which has no
// Go bindings): each segment adds a titled row group to the dashboard and
// its alarms, and every alarm notifies one topic on alarm and on recovery.
// Everything it draws and judges comes through its props: the resources'
// handles as interfaces, the application's own metrics as MetricSources,
// the alarms' thresholds and the targets the dashboard shows them against.
package monitoring

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Threshold is an alarm's limit, how many consecutive periods must
// breach it and how long a period is.
type Threshold struct {
	Value             float64
	EvaluationPeriods int
	// Period is the length of the periods the alarm judges: 10, 20 or 30
	// seconds or a multiple of a minute. Default: MonitoringProps.Period,
	// which the graphs plot.
	Period awscdk.Duration
}

// MetricSource is one of the application's own metrics, published for the
// whole service and per value of one dimension (per function, per query).
// The construct picks the statistic, label and period of every figure it
// draws or alarms on; the source knows the namespace, the name and the
// dimension.
type MetricSource interface {
	// Total is the figure for the whole service.
	Total(stat, label string, period awscdk.Duration) awscloudwatch.IMetric
	// Of is the figure for one value of the dimension.
	Of(value, stat, label string, period awscdk.Duration) awscloudwatch.IMetric
	// Each is one line for every value of the dimension that has data.
	Each(stat, label string, period awscdk.Duration) awscloudwatch.IMetric
}

// MonitoringProps configures a Monitoring.
type MonitoringProps struct {
	// Name prefixes the dashboard and every alarm ("hasivu-prod"): letters,
	// digits, dashes and underscores. Required.
	Name *string
	// Topic receives every alarm and OK transition. Required.
	Topic awssns.ITopic
	// Period is what graphs plot and alarms without a Threshold.Period of
	// their own evaluate: 10, 20 or 30 seconds or a multiple of a minute.
	// Default: one minute.
	Period awscdk.Duration
	// Heading is the Markdown at the top of the dashboard. Default:
	// "# " + Name.
	Heading *string
	// Edge, Api, Functions, Cache, Database and Payments are the
	// segments, drawn top-down in this order; a nil one is left out.
	// Default: none, and at least one is required.
	Edge      *EdgeProps
	Api       *ApiProps
	Functions *FunctionsProps
	Cache     *CacheProps
	Database  *DatabaseProps
	Payments  *PaymentsProps
	// Security is the row of refused credentials, drawn last. Default:
	// none.
	Security *SecurityProps
	// DrawnOn names another dashboard that already draws these segments'
	// metrics (a stage's dashboard drawing, from its own region, the edge
	// that is alarmed in us-east-1): the construct then creates only the
	// alarms, whose descriptions send on-call to that dashboard, and no
	// second dashboard to pay for. Default: the construct's own dashboard,
	// named Name.
	DrawnOn *string
}

// Monitoring is a dashboard and the alarms of its segments.
type Monitoring struct {
	constructs.Construct
	// Dashboard draws the segments; nil where props name DrawnOn.
	Dashboard awscloudwatch.Dashboard
	// Alarms by name, as segments created them.
	Alarms map[string]awscloudwatch.Alarm
	// Health is the service-health composite alarm, in ALARM while any
	// critical alarm is; nil when the segments raise no critical alarm.
	Health awscloudwatch.CompositeAlarm
	name   string
	// board is the dashboard that draws the alarms' metrics.
	board  string
	topic  awssns.ITopic
	period awscdk.Duration
	// critical are the alarms the service-health composite watches.
	critical []awscloudwatch.IAlarm
	order    []string
	// rows wait for finish, which puts the alarm status above them.
	rows [][]awscloudwatch.IWidget
}

// NewMonitoring creates the dashboard and the alarms of every segment in
// props.
func NewMonitoring(scope constructs.Construct, id *string, props *MonitoringProps) *Monitoring {
	p := *props
	if p.Period == nil {
		p.Period = awscdk.Duration_Minutes(jsii.Number(1))
	}
	if p.Heading == nil && p.Name != nil {
		p.Heading = jsii.String("# " + *p.Name)
	}
	if err := validate(&p); err != nil {
		panic(fmt.Sprintf("monitoring.NewMonitoring %s: %v", *id, err))
	}
	this := constructs.NewConstruct(scope, id)
	m := &Monitoring{Construct: this, Alarms: map[string]awscloudwatch.Alarm{}, name: *p.Name, board: *p.Name, topic: p.Topic, period: p.Period}
	if p.DrawnOn != nil {
		m.board = *p.DrawnOn
	} else {
		m.Dashboard = awscloudwatch.NewDashboard(this, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
			DashboardName:   jsii.String(*p.Name),
			DefaultInterval: awscdk.Duration_Hours(jsii.Number(3)),
		})
	}
	if p.Edge != nil {
		m.addEdge(*p.Edge)
	}
	if p.Api != nil {
		m.addApi(*p.Api)
	}
	if p.Functions != nil {
		m.addFunctions(*p.Functions)
	}
	if p.Cache != nil {
		m.addCache(*p.Cache)
	}
	if p.Database != nil {
		m.addDatabase(*p.Database)
	}
	if p.Payments != nil {
		m.addPayments(*p.Payments)
	}
	if p.Security != nil {
		m.addSecurity(*p.Security)
	}
	m.finish(*p.Heading)
	return m
}

// section adds a full-width heading row: what the rows below answer.
func (m *Monitoring) section(title, explanation string) {
	m.rows = append(m.rows, []awscloudwatch.IWidget{awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
		Markdown: jsii.String("## " + title + "\n" + explanation),
		Width:    jsii.Number(24), Height: jsii.Number(2),
	})})
}

// row adds widgets side by side; a row holds 24 columns and wraps.
func (m *Monitoring) row(widgets ...awscloudwatch.IWidget) {
	m.rows = append(m.rows, widgets)
}

// graph is a line graph of metrics, with the alarm thresholds it is judged
// by drawn across it.
func (m *Monitoring) graph(title string, width int, metrics []awscloudwatch.IMetric, limits ...*awscloudwatch.HorizontalAnnotation) awscloudwatch.GraphWidget {
	return m.graphUpTo(0, title, width, metrics, limits...)
}

// graphUpTo is a graph whose left axis runs from 0 to top, or fits the
// data where top is 0.
func (m *Monitoring) graphUpTo(top float64, title string, width int, metrics []awscloudwatch.IMetric, limits ...*awscloudwatch.HorizontalAnnotation) awscloudwatch.GraphWidget {
	axis := &awscloudwatch.YAxisProps{Min: jsii.Number(0), ShowUnits: jsii.Bool(false)}
	if top > 0 {
		axis.Max = jsii.Number(top)
	}
	return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String(title), Width: jsii.Number(width), Height: jsii.Number(6),
		Left: &metrics, LeftAnnotations: &limits, Period: m.period, LeftYAxis: axis,
	})
}

// limit draws a threshold on a graph.
func limit(label string, value float64) *awscloudwatch.HorizontalAnnotation {
	return &awscloudwatch.HorizontalAnnotation{Label: jsii.String(label), Value: jsii.Number(value), Color: jsii.String("#d62728")}
}

// alarmSpec is one alarm a segment asks for.
type alarmSpec struct {
	// Name is the alarm's short name ("apiLatencyP95Ms").
	Name string
	// Description says what breached and where to look.
	Description string
	Metric      awscloudwatch.IMetric
	Threshold   Threshold
	Comparison  awscloudwatch.ComparisonOperator
	// Missing is how a period without data counts.
	Missing awscloudwatch.TreatMissingData
	// Critical puts the alarm in the service-health composite.
	Critical bool
}

// alarm creates an alarm that notifies the topic when it fires and when it
// recovers. It judges the metric over the threshold's period, whatever
// period the graphs plot it at.
func (m *Monitoring) alarm(spec alarmSpec) awscloudwatch.Alarm {
	if _, dup := m.Alarms[spec.Name]; dup {
		panic("monitoring: alarm " + spec.Name + " created twice")
	}
	period := spec.Threshold.Period
	if period == nil {
		period = m.period
	}
	a := awscloudwatch.NewAlarm(m.Construct, jsii.String(spec.Name), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String(m.name + "-" + spec.Name),
		AlarmDescription:   jsii.String(spec.Description),
		Metric:             atPeriod(spec.Metric, period),
		Threshold:          jsii.Number(spec.Threshold.Value),
		EvaluationPeriods:  jsii.Number(spec.Threshold.EvaluationPeriods),
		DatapointsToAlarm:  jsii.Number(spec.Threshold.EvaluationPeriods),
		ComparisonOperator: spec.Comparison,
		TreatMissingData:   spec.Missing,
	})
	m.notify(a)
	m.Alarms[spec.Name] = a
	m.order = append(m.order, spec.Name)
	if spec.Critical {
		m.critical = append(m.critical, a)
	}
	return a
}

// atPeriod is metric over period. A math expression is rebuilt over its
// metrics at period (overriding their periods would work too, but CDK
// warns of it).
func atPeriod(metric awscloudwatch.IMetric, period awscdk.Duration) awscloudwatch.IMetric {
	switch m := metric.(type) {
	case awscloudwatch.Metric:
		return m.With(&awscloudwatch.MetricOptions{Period: period})
	case awscloudwatch.MathExpression:
		using := map[string]awscloudwatch.IMetric{}
		for id, u := range *m.UsingMetrics() {
			using[id] = atPeriod(u, period)
		}
		return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: m.Expression(), UsingMetrics: &using, Label: m.Label(), Color: m.Color(),
			SearchAccount: m.SearchAccount(), SearchRegion: m.SearchRegion(), Period: period,
		})
	}
	panic(fmt.Sprintf("monitoring: cannot set the period of a %T", metric))
}

// alarmWithActions is what an Alarm and a CompositeAlarm share.
type alarmWithActions interface {
	AddAlarmAction(...awscloudwatch.IAlarmAction)
	AddOkAction(...awscloudwatch.IAlarmAction)
}

func (m *Monitoring) notify(a alarmWithActions) {
	action := awscloudwatchactions.NewSnsAction(m.topic)
	a.AddAlarmAction(action)
	a.AddOkAction(action)
}

// finish adds the service-health composite alarm, in ALARM while any
// critical alarm is, and lays out the dashboard: the heading, the state of
// every alarm, then the segments' rows top-down.
func (m *Monitoring) finish(heading string) {
	var refs []interfacesawscloudwatch.IAlarmRef
	if len(m.critical) > 0 {
		m.Health = awscloudwatch.NewCompositeAlarm(m.Construct, jsii.String("ServiceHealth"), &awscloudwatch.CompositeAlarmProps{
			CompositeAlarmName: jsii.String(m.name + "-service-health"),
			AlarmDescription:   jsii.String("Users are affected: a critical alarm of " + m.name + " is firing. Open the dashboard " + m.board + "."),
			AlarmRule:          awscloudwatch.AlarmRule_AnyOf(alarmRules(m.critical)...),
		})
		m.notify(m.Health)
		refs = append(refs, m.Health)
	}
	if m.Dashboard == nil {
		return
	}
	for _, n := range m.order {
		refs = append(refs, m.Alarms[n])
	}
	m.Dashboard.AddWidgets(awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
		Markdown: jsii.String(heading), Width: jsii.Number(24), Height: jsii.Number(3),
	}))
	if len(refs) > 0 {
		m.Dashboard.AddWidgets(awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
			Title: jsii.String("Alarms (service health first)"), Alarms: &refs, Width: jsii.Number(24), Height: jsii.Number(4),
		}))
	}
	for _, row := range m.rows {
		m.Dashboard.AddWidgets(row...)
	}
}

func alarmRules(alarms []awscloudwatch.IAlarm) []awscloudwatch.IAlarmRule {
	rules := make([]awscloudwatch.IAlarmRule, len(alarms))
	for i, a := range alarms {
		rules[i] = awscloudwatch.AlarmRule_FromAlarm(a, awscloudwatch.AlarmState_ALARM)
	}
	return rules
}

// dashboardName is what CloudWatch accepts as a dashboard's name; alarm
// names take it as their prefix.
var dashboardName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,200}$`)

// problems collects every invalid prop, to report them all at once.
type problems []string

func (ps *problems) add(format string, args ...any) { *ps = append(*ps, fmt.Sprintf(format, args...)) }

func validate(p *MonitoringProps) error {
	var ps problems
	switch {
	case p.Name == nil || *p.Name == "":
		ps.add("Name is required")
	case !dashboardName.MatchString(*p.Name):
		ps.add("Name must be 1 to 200 letters, digits, dashes and underscores, got %q", *p.Name)
	}
	if p.DrawnOn != nil && !dashboardName.MatchString(*p.DrawnOn) {
		ps.add("DrawnOn must be a dashboard name (1 to 200 letters, digits, dashes and underscores), got %q", *p.DrawnOn)
	}
	if p.Topic == nil {
		ps.add("Topic is required")
	}
	ps.period("Period", p.Period)
	if p.Edge == nil && p.Api == nil && p.Functions == nil && p.Cache == nil && p.Database == nil && p.Payments == nil {
		ps.add("at least one of Edge, Api, Functions, Cache, Database and Payments is required")
	}
	if p.Edge != nil {
		p.Edge.validate(&ps)
	}
	if p.Api != nil {
		p.Api.validate(&ps)
	}
	if p.Functions != nil {
		p.Functions.validate(&ps)
	}
	if p.Cache != nil {
		p.Cache.validate(&ps)
	}
	if p.Database != nil {
		p.Database.validate(&ps)
	}
	if p.Payments != nil {
		p.Payments.validate(&ps)
	}
	if p.Security != nil {
		p.Security.validate(&ps)
	}
	if len(ps) > 0 {
		return fmt.Errorf("%s", strings.Join(ps, "; "))
	}
	return nil
}

// A threshold is judged as a percentage or as a figure that cannot be
// negative (milliseconds, counts, GiB).
const (
	percent = iota
	nonNegative
)

func (ps *problems) threshold(field string, t Threshold, kind int) {
	if t == (Threshold{}) {
		ps.add("%s is required", field)
		return
	}
	if t.EvaluationPeriods < 1 {
		ps.add("%s.EvaluationPeriods must be at least 1, got %d", field, t.EvaluationPeriods)
	}
	if t.Period != nil {
		ps.period(field+".Period", t.Period)
	}
	switch {
	case kind == percent && (t.Value < 0 || t.Value > 100):
		ps.add("%s.Value must be a percentage between 0 and 100, got %v", field, t.Value)
	case kind == nonNegative && t.Value < 0:
		ps.add("%s.Value must not be negative, got %v", field, t.Value)
	}
}

// period checks a period CloudWatch accepts for a metric: 10, 20 or 30
// seconds (high resolution) or whole minutes.
func (ps *problems) period(field string, d awscdk.Duration) {
	secs := *d.ToMilliseconds(nil) / 1000
	if secs != 10 && secs != 20 && secs != 30 && (secs < 60 || math.Mod(secs, 60) != 0) {
		ps.add("%s must be 10, 20 or 30 seconds or a multiple of 60 seconds, got %v s", field, secs)
	}
}

// target checks one of the targets the dashboard shows: a time, or a
// percentage, above zero.
func (ps *problems) target(field string, d time.Duration) {
	if d <= 0 {
		ps.add("%s must be positive, got %v", field, d)
	}
}

func (ps *problems) percentTarget(field string, v float64) {
	if v <= 0 || v > 100 {
		ps.add("%s must be a percentage above 0 and at most 100, got %v", field, v)
	}
}

func (ps *problems) required(field string, set bool) {
	if !set {
		ps.add("%s is required", field)
	}
}
