package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/hasivu/infra/lambda/functions"
	"github.com/hasivu/infra/lambda/routes"
	"github.com/hasivu/infra/lambda/testsupport"
)

// TestMain lets the tests run main in a child process (HASIVU_RUN_MAIN=1),
// the way Lambda starts the binary.
func TestMain(m *testing.M) {
	if os.Getenv("HASIVU_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func runMain(t *testing.T, env ...string) (string, int) {
	t.Helper()
	return runMainArgs(t, nil, env...)
}

func runMainArgs(t *testing.T, args []string, env ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append([]string{"HASIVU_RUN_MAIN=1", "PATH=" + os.Getenv("PATH")}, env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

func TestUnknownHandlerExitsListingValidNames(t *testing.T) {
	for _, h := range []string{"", "orders-delete"} {
		out, code := runMain(t, routes.EnvHandler+"="+h)
		if code == 0 {
			t.Errorf("_HANDLER=%q: exit code 0", h)
		}
		if !strings.Contains(out, strings.Join(functions.Names(), ", ")) || !strings.Contains(out, `"`+h+`"`) {
			t.Errorf("_HANDLER=%q: message %q does not list the valid names", h, out)
		}
	}
}

func TestMissingSettingExitsNamingIt(t *testing.T) {
	out, code := runMain(t, routes.EnvHandler+"="+routes.OrdersList, routes.EnvDatabaseURL+"="+testsupport.DatabaseURL(),
		routes.EnvRedisAddr+"="+testsupport.RedisAddr())
	if code == 0 || !strings.Contains(out, routes.EnvJWTVerificationARN+" is not set") {
		t.Errorf("exit %d, output %q; want a failure naming %s", code, out, routes.EnvJWTVerificationARN)
	}
	out, code = runMain(t, routes.EnvHandler+"="+routes.MenusDaily, routes.EnvDatabaseURL+"="+testsupport.DatabaseURL())
	if code == 0 || !strings.Contains(out, "REDIS_ADDR is not set") {
		t.Errorf("exit %d, output %q; want a failure naming REDIS_ADDR", code, out)
	}
}

// TestLambdaRefusesLocalSecrets runs main as Lambda would (with
// AWS_LAMBDA_FUNCTION_NAME) and as the benchmark's emulator does.
func TestLambdaRefusesLocalSecrets(t *testing.T) {
	vars := []string{routes.EnvHandler + "=" + routes.MenusDaily, routes.EnvLambdaFunctionName + "=hasivu-dev-menus-daily",
		routes.EnvDatabaseURL + "=" + testsupport.DatabaseURL()}
	out, code := runMain(t, vars...)
	if code == 0 || !strings.Contains(out, routes.EnvDatabaseURL+" is set in the configuration of Lambda function hasivu-dev-menus-daily") {
		t.Errorf("in Lambda: exit %d, output %q; want a refusal naming %s", code, out, routes.EnvDatabaseURL)
	}
	out, code = runMainArgs(t, []string{routes.ArgEmulator}, vars...)
	if code == 0 || !strings.Contains(out, "REDIS_ADDR is not set") {
		t.Errorf("under the emulator: exit %d, output %q; want the database URL taken and a failure naming REDIS_ADDR", code, out)
	}
}
