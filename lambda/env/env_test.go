package env

import (
	"strings"
	"testing"

	"github.com/hasivu/infra/lambda/routes"
)

func load(t *testing.T, vars map[string]string) (*Env, error) {
	t.Helper()
	return Load(func(k string) string { return vars[k] })
}

func TestDefaults(t *testing.T) {
	e, err := load(t, map[string]string{routes.EnvHandler: routes.OrdersList, routes.EnvDBHost: "proxy", routes.EnvDBName: "hasivu", routes.EnvDBUser: "app"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Handler != routes.OrdersList || e.Stage != "local" || e.DB.Port != 5432 || e.DB.IAMAuth || e.Redis.TLS ||
		e.RazorpayBaseURL != DefaultRazorpayBaseURL || e.SecretsEndpoint != "http://localhost:2773" {
		t.Errorf("defaults = %+v", e)
	}
	if err := e.DB.Check(); err != nil {
		t.Error(err)
	}
}

func TestAWSContract(t *testing.T) {
	e, err := load(t, map[string]string{
		routes.EnvStage: "prod", routes.EnvDBHost: "proxy.example", routes.EnvDBPort: "6432", routes.EnvDBName: "hasivu", routes.EnvDBUser: "app",
		routes.EnvDBIAMAuth: "true", routes.EnvRedisAddr: "cache:6379", routes.EnvRedisTLS: "true", routes.EnvRedisAuthSecretARN: "arn:redis",
		routes.EnvJWTSecretARN: "arn:jwt", routes.EnvRazorpaySecretARN: "arn:rzp", routes.EnvRazorpayBaseURL: "https://rzp.example/",
		routes.EnvAWSRegion: "ap-south-1", routes.EnvAWSAccessKeyID: "AKIA", routes.EnvAWSSecretAccessKey: "s", routes.EnvAWSSessionToken: "tok",
		routes.EnvSecretsExtensionPort: "2800",
	})
	if err != nil {
		t.Fatal(err)
	}
	if e.Stage != "prod" || e.DB.Port != 6432 || !e.DB.IAMAuth || !e.Redis.TLS || e.Redis.AuthSecretARN != "arn:redis" ||
		e.JWTSecretARN != "arn:jwt" || e.RazorpaySecretARN != "arn:rzp" || e.RazorpayBaseURL != "https://rzp.example" ||
		e.AWS.SessionToken != "tok" || e.SecretsEndpoint != "http://localhost:2800" {
		t.Errorf("env = %+v", e)
	}
}

func TestBadValues(t *testing.T) {
	for name, vars := range map[string]map[string]string{
		routes.EnvDBPort:               {routes.EnvDBPort: "postgres"},
		routes.EnvDBIAMAuth:            {routes.EnvDBIAMAuth: "yes please"},
		routes.EnvRedisTLS:             {routes.EnvRedisTLS: "on"},
		routes.EnvSecretsExtensionPort: {routes.EnvSecretsExtensionPort: "-1"},
	} {
		if _, err := load(t, vars); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: err = %v, want one naming %s", vars, err, name)
		}
	}
	e, _ := load(t, map[string]string{routes.EnvDBHost: "h", routes.EnvDBName: "n"})
	if err := e.DB.Check(); err == nil || !strings.Contains(err.Error(), routes.EnvDBUser) {
		t.Errorf("missing %s: %v", routes.EnvDBUser, err)
	}
	e, _ = load(t, map[string]string{routes.EnvDatabaseURL: "postgres://x"})
	if err := e.DB.Check(); err != nil {
		t.Errorf("%s alone: %v", routes.EnvDatabaseURL, err)
	}
}

func TestLambdaRefusesLocalOnlyVariables(t *testing.T) {
	for _, name := range routes.LocalOnlyEnv {
		vars := map[string]string{routes.EnvLambdaFunctionName: "hasivu-prod-auth-login", name: "plaintext"}
		if _, err := load(t, vars); err == nil || !strings.Contains(err.Error(), name+" is set in the configuration of Lambda function hasivu-prod-auth-login") {
			t.Errorf("%s in Lambda: err = %v, want a refusal naming it", name, err)
		}
		delete(vars, routes.EnvLambdaFunctionName)
		if _, err := load(t, vars); err != nil {
			t.Errorf("%s outside Lambda: %v", name, err)
		}
		if _, err := LoadEmulated(func(k string) string {
			return map[string]string{routes.EnvLambdaFunctionName: "test_function", name: "x"}[k]
		}); err != nil {
			t.Errorf("%s under an emulator: %v", name, err)
		}
	}
}
