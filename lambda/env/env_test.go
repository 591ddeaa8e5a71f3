package env

import (
	"strings"
	"testing"
)

func load(t *testing.T, vars map[string]string) (*Env, error) {
	t.Helper()
	return Load(func(k string) string { return vars[k] })
}

func TestDefaults(t *testing.T) {
	e, err := load(t, map[string]string{"_HANDLER": "orders-list", "DB_HOST": "proxy", "DB_NAME": "hasivu", "DB_USER": "app"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Handler != "orders-list" || e.Stage != "local" || e.DB.Port != 5432 || e.DB.IAMAuth || e.Redis.TLS ||
		e.RazorpayBaseURL != DefaultRazorpayBaseURL || e.SecretsEndpoint != "http://localhost:2773" {
		t.Errorf("defaults = %+v", e)
	}
	if err := e.DB.Check(); err != nil {
		t.Error(err)
	}
}

func TestAWSContract(t *testing.T) {
	e, err := load(t, map[string]string{
		"STAGE": "prod", "DB_HOST": "proxy.example", "DB_PORT": "6432", "DB_NAME": "hasivu", "DB_USER": "app",
		"DB_IAM_AUTH": "true", "REDIS_ADDR": "cache:6379", "REDIS_TLS": "true", "REDIS_AUTH_SECRET_ARN": "arn:redis",
		"JWT_SECRET_ARN": "arn:jwt", "RAZORPAY_SECRET_ARN": "arn:rzp", "RAZORPAY_BASE_URL": "https://rzp.example/",
		"AWS_REGION": "ap-south-1", "AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "tok",
		"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": "2800",
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
		"DB_PORT":                                {"DB_PORT": "postgres"},
		"DB_IAM_AUTH":                            {"DB_IAM_AUTH": "yes please"},
		"REDIS_TLS":                              {"REDIS_TLS": "on"},
		"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": {"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": "-1"},
	} {
		if _, err := load(t, vars); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: err = %v, want one naming %s", vars, err, name)
		}
	}
	e, _ := load(t, map[string]string{"DB_HOST": "h", "DB_NAME": "n"})
	if err := e.DB.Check(); err == nil || !strings.Contains(err.Error(), "DB_USER") {
		t.Errorf("missing DB_USER: %v", err)
	}
	e, _ = load(t, map[string]string{"DATABASE_URL": "postgres://x"})
	if err := e.DB.Check(); err != nil {
		t.Errorf("DATABASE_URL alone: %v", err)
	}
}
