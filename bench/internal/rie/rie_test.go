package rie

import (
	"strings"
	"testing"
	"time"
)

// A log from this emulator build (aws-lambda-rie v0.0.0-20261030222936):
// note the REPORT line's wrong Init Duration (0.07 ms against 6.486 ms).
const sampleLog = `26 Nov 2026 21:15:52,612 [INFO] (rapid) exec '/tmp/rie/bootstrap' (cwd=/work/main, handler=)
START RequestId: b84a2adb-741d-46c0-aa7c-2ee93c8015ee Version: $LATEST
26 Nov 2026 21:15:52,672 [INFO] (rapid) INIT START(type: on-demand, phase: init)
26 Nov 2026 21:15:52,672 [INFO] (rapid) The extension's directory "/opt/extensions" does not exist, assuming no extensions to be loaded.
26 Nov 2026 21:15:52,678 [INFO] (rapid) INIT RTDONE(status: success)
26 Nov 2026 21:15:52,678 [INFO] (rapid) INIT REPORT(durationMs: 6.486000)
26 Nov 2026 21:15:52,679 [INFO] (rapid) INVOKE START(requestId: b84a2adb-741d-46c0-aa7c-2ee93c8015ee)
{"Function":"auth-login","OperationDuration":[0.018],"_aws":{"Timestamp":1795727752679,"CloudWatchMetrics":[{"Namespace":"Hasivu/bench","Dimensions":[["Function"]],"Metrics":[{"Name":"OperationDuration","Unit":"Milliseconds"}]}]}}
26 Nov 2026 21:15:52,679 [INFO] (rapid) INVOKE RTDONE(status: success, produced bytes: 0, duration: 0.809000ms)
END RequestId: b84a2adb-741d-46c0-aa7c-2ee93c8015ee
REPORT RequestId: b84a2adb-741d-46c0-aa7c-2ee93c8015ee	Init Duration: 0.07 ms	Duration: 7.48 ms	Billed Duration: 8 ms	Memory Size: 3008 MB	Max Memory Used: 3008 MB	
START RequestId: 2cb80fda-9dd2-49f4-9e9c-b4655751986e Version: $LATEST
26 Nov 2026 21:08:11,202 [INFO] (rapid) INVOKE RTDONE(status: success, produced bytes: 0, duration: 12ms)
26 Nov 2026 21:15:52,882 [INFO] (rapid) Received signal signal=terminated
`

func TestParseLog(t *testing.T) {
	l, err := ParseLog(strings.NewReader(sampleLog))
	if err != nil {
		t.Fatal(err)
	}
	if !l.HasInit || l.Init != 6486*time.Microsecond {
		t.Errorf("init = %v (found %v), want 6.486ms from INIT REPORT, not the REPORT line's Init Duration", l.Init, l.HasInit)
	}
	if l.InitStatus != "success" {
		t.Errorf("init status = %q", l.InitStatus)
	}
	want := []Invoke{{"success", 809 * time.Microsecond}, {"success", 12 * time.Millisecond}}
	if len(l.Invokes) != 2 || l.Invokes[0] != want[0] || l.Invokes[1] != want[1] {
		t.Errorf("invokes = %+v, want %+v", l.Invokes, want)
	}
}

func TestParseLogManagedInstancesFormat(t *testing.T) {
	l, err := ParseLog(strings.NewReader(
		"INIT REPORT(initType: on-demand, durationMs: 41.25, status: error, phase: init, errorType: Runtime.ExitError)\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !l.HasInit || l.Init != 41250*time.Microsecond || l.InitStatus != "error" {
		t.Errorf("log = %+v", l)
	}
}

func TestParseLogWithoutInit(t *testing.T) {
	// A runtime that died before init finished leaves no INIT REPORT.
	l, err := ParseLog(strings.NewReader("init: _HANDLER \"x\" names no function of this binary\n" +
		"26 Nov 2026 21:15:52,678 [INFO] (rapid) INIT RTDONE(status: error)\n"))
	if err != nil {
		t.Fatal(err)
	}
	if l.HasInit || l.InitStatus != "error" || len(l.Invokes) != 0 {
		t.Errorf("log = %+v", l)
	}
}

func TestStatusCode(t *testing.T) {
	for body, want := range map[string]int{
		`{"statusCode":200,"headers":{},"body":"{}"}`:        200,
		`{"statusCode": 409,"body":"already served"}`:        409,
		`{"applied":0,"version":2}`:                          0,
		`{"errorMessage":"x","errorType":"Runtime.Unknown"}`: 0,
	} {
		if got := StatusCode([]byte(body)); got != want {
			t.Errorf("StatusCode(%s) = %d, want %d", body, got, want)
		}
	}
}
