// Command lambda is the one binary behind every Hasivu Lambda function.
// The API stack ships it once, as bootstrap in the platform layer; each
// function runs it on provided.al2023 and names its handler-table entry in
// its Handler setting, which Lambda passes as _HANDLER. Init builds only
// what that function needs (routes.NeedsOf, built by package functions),
// then hands its handler to the Lambda runtime. The environment it reads
// is documented in package env.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/hasivu/infra/lambda/env"
	"github.com/hasivu/infra/lambda/functions"
	"github.com/hasivu/infra/lambda/routes"
)

// processStart is as close to process start as Go code gets; the cold
// start metric counts from it.
var processStart = time.Now()

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	load := env.Load
	if len(os.Args) == 2 && os.Args[1] == routes.ArgEmulator {
		load = env.LoadEmulated
	}
	e, err := load(os.Getenv)
	if err != nil {
		fail(err)
	}
	f, ok := functions.Table[e.Handler]
	if !ok {
		fail(fmt.Errorf("%s %q names no function of this binary; valid: %s", routes.EnvHandler,
			e.Handler, strings.Join(functions.Names(), ", ")))
	}
	d, err := functions.Setup(context.Background(), e, routes.NeedsOf(e.Handler), functions.Options{})
	if err != nil {
		fail(fmt.Errorf("set up %s: %w", e.Handler, err))
	}
	var handler any
	if f.HTTP != nil {
		handler, err = d.HTTP(e.Handler)
	} else {
		handler, err = d.Invoke(e.Handler)
	}
	if err != nil {
		fail(err)
	}
	d.Ready(time.Since(processStart))
	lambda.Start(handler)
}

// fail ends init: Lambda reports the exit and the message in the log.
func fail(err error) {
	fmt.Fprintln(os.Stderr, "init:", err)
	os.Exit(2)
}
