// Package monitoring builds a stage's CloudWatch dashboard and alarms out of
// per-resource segments, after cdk-monitoring-constructs (which has no Go
// bindings): each segment adds a titled row group to the dashboard and its
// alarms, and every alarm notifies one topic on alarm and on recovery.
package monitoring

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Threshold is an alarm's limit and how many consecutive periods must
// breach it.
type Threshold struct {
	Value             float64
	EvaluationPeriods int
}

// MonitoringProps configures a Monitoring.
type MonitoringProps struct {
	// Name prefixes the dashboard and every alarm ("hasivu-prod"). Required.
	Name *string
	// Topic receives every alarm and OK transition. Required.
	Topic awssns.ITopic
	// Period is what alarms evaluate and graphs plot. Default: one minute.
	Period awscdk.Duration
}

// Monitoring is a dashboard and the alarms of the segments added to it.
type Monitoring struct {
	constructs.Construct
	Dashboard awscloudwatch.Dashboard
	// Alarms by name, as segments created them.
	Alarms map[string]awscloudwatch.Alarm
	// Health is the service-health composite, set by Finish.
	Health awscloudwatch.CompositeAlarm
	name   string
	topic  awssns.ITopic
	period awscdk.Duration
	// critical are the alarms the service-health composite watches.
	critical []awscloudwatch.IAlarm
	order    []string
	// rows wait for Finish, which puts the alarm status above them.
	rows [][]awscloudwatch.IWidget
}

// NewMonitoring creates the dashboard; segments fill it.
func NewMonitoring(scope constructs.Construct, id *string, props *MonitoringProps) *Monitoring {
	if props.Name == nil || props.Topic == nil {
		panic(fmt.Sprintf("monitoring.NewMonitoring %s: Name and Topic are required", *id))
	}
	this := constructs.NewConstruct(scope, id)
	m := &Monitoring{Construct: this, Alarms: map[string]awscloudwatch.Alarm{}, name: *props.Name, topic: props.Topic, period: props.Period}
	if m.period == nil {
		m.period = awscdk.Duration_Minutes(jsii.Number(1))
	}
	m.Dashboard = awscloudwatch.NewDashboard(this, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName:   jsii.String(*props.Name),
		DefaultInterval: awscdk.Duration_Hours(jsii.Number(3)),
	})
	return m
}

// Section adds a full-width heading row: what the rows below answer.
func (m *Monitoring) Section(title, explanation string) {
	m.rows = append(m.rows, []awscloudwatch.IWidget{awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
		Markdown: jsii.String("## " + title + "\n" + explanation),
		Width:    jsii.Number(24), Height: jsii.Number(2),
	})})
}

// Row adds widgets side by side; a row holds 24 columns and wraps.
func (m *Monitoring) Row(widgets ...awscloudwatch.IWidget) {
	m.rows = append(m.rows, widgets)
}

// Graph is a line graph of metrics, with the alarm thresholds it is judged
// by drawn across it.
func (m *Monitoring) Graph(title string, width int, metrics []awscloudwatch.IMetric, limits ...*awscloudwatch.HorizontalAnnotation) awscloudwatch.GraphWidget {
	return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String(title), Width: jsii.Number(width), Height: jsii.Number(6),
		Left: &metrics, LeftAnnotations: &limits, Period: m.period,
		LeftYAxis: &awscloudwatch.YAxisProps{Min: jsii.Number(0), ShowUnits: jsii.Bool(false)},
	})
}

// Limit draws a threshold on a graph.
func Limit(label string, value float64) *awscloudwatch.HorizontalAnnotation {
	return &awscloudwatch.HorizontalAnnotation{Label: jsii.String(label), Value: jsii.Number(value), Color: jsii.String("#d62728")}
}

// AlarmSpec is one alarm a segment asks for.
type AlarmSpec struct {
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

// Alarm creates an alarm that notifies the topic when it fires and when it
// recovers.
func (m *Monitoring) Alarm(spec AlarmSpec) awscloudwatch.Alarm {
	if _, dup := m.Alarms[spec.Name]; dup {
		panic("monitoring: alarm " + spec.Name + " created twice")
	}
	a := awscloudwatch.NewAlarm(m.Construct, jsii.String(spec.Name), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String(m.name + "-" + spec.Name),
		AlarmDescription:   jsii.String(spec.Description),
		Metric:             spec.Metric,
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

// Finish adds the service-health composite alarm, in ALARM while any
// critical alarm is, and lays out the dashboard: a heading, the state of
// every alarm, then the segments' rows top-down. Call it once, last.
func (m *Monitoring) Finish(heading string) {
	m.Health = awscloudwatch.NewCompositeAlarm(m.Construct, jsii.String("ServiceHealth"), &awscloudwatch.CompositeAlarmProps{
		CompositeAlarmName: jsii.String(m.name + "-service-health"),
		AlarmDescription:   jsii.String("Users are affected: a critical alarm of " + m.name + " is firing. Open the dashboard " + m.name + "."),
		AlarmRule:          awscloudwatch.AlarmRule_AnyOf(alarmRules(m.critical)...),
	})
	m.notify(m.Health)

	refs := []interfacesawscloudwatch.IAlarmRef{m.Health}
	for _, n := range m.order {
		refs = append(refs, m.Alarms[n])
	}
	m.Dashboard.AddWidgets(awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
		Markdown: jsii.String(heading), Width: jsii.Number(24), Height: jsii.Number(3),
	}))
	m.Dashboard.AddWidgets(awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
		Title: jsii.String("Alarms (service health first)"), Alarms: &refs, Width: jsii.Number(24), Height: jsii.Number(4),
	}))
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
