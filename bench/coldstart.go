package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hasivu/infra/bench/internal/emf"
	"github.com/hasivu/infra/bench/internal/mix"
	"github.com/hasivu/infra/bench/internal/report"
	"github.com/hasivu/infra/bench/internal/rie"
	"github.com/hasivu/infra/bench/internal/stats"
	"github.com/hasivu/infra/lambda/routes"
)

// proxyEvent turns a request of the mix into the API Gateway proxy event
// its function receives, as the REST API (and the local server) build it.
func proxyEvent(req mix.Request) (events.APIGatewayProxyRequest, error) {
	i := slices.IndexFunc(routes.Table, func(r routes.Route) bool { return r.Key() == req.Route })
	if i < 0 {
		return events.APIGatewayProxyRequest{}, fmt.Errorf("no route %q for %s", req.Route, req.Function)
	}
	rt := routes.Table[i]
	u, err := url.Parse(req.Path)
	if err != nil {
		return events.APIGatewayProxyRequest{}, err
	}
	ev := events.APIGatewayProxyRequest{Resource: rt.Path, Path: u.Path, HTTPMethod: req.Method, Body: string(req.Body),
		Headers: map[string]string{}, MultiValueHeaders: map[string][]string{},
		RequestContext: events.APIGatewayProxyRequestContext{Stage: "bench", HTTPMethod: req.Method, ResourcePath: rt.Path,
			RequestID: fmt.Sprintf("bench-%d", time.Now().UnixNano())}}
	for k, vs := range req.Header {
		ev.Headers[k], ev.MultiValueHeaders[k] = vs[0], vs
	}
	if q := u.Query(); len(q) > 0 {
		ev.QueryStringParameters, ev.MultiValueQueryStringParameters = map[string]string{}, map[string][]string(q)
		for k, vs := range q {
			ev.QueryStringParameters[k] = vs[0]
		}
	}
	want, got := strings.Split(rt.Path, "/"), strings.Split(u.Path, "/")
	if len(want) != len(got) {
		return ev, fmt.Errorf("path %s does not match route %s", u.Path, rt.Path)
	}
	for k, seg := range want {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			if ev.PathParameters == nil {
				ev.PathParameters = map[string]string{}
			}
			ev.PathParameters[strings.TrimSuffix(name, "}")] = got[k]
		} else if seg != got[k] {
			return ev, fmt.Errorf("path %s does not match route %s", u.Path, rt.Path)
		}
	}
	return ev, nil
}

// invocation is one cold start's first request: the payload and the
// statuses of a correct answer (none for a directly invoked function).
type invocation struct {
	payload []byte
	expect  []int
}

// apiInvocation wraps a request of the mix as an invocation.
func apiInvocation(req mix.Request) (invocation, error) {
	ev, err := proxyEvent(req)
	if err != nil {
		return invocation{}, err
	}
	b, err := json.Marshal(ev)
	return invocation{payload: b, expect: req.Expect}, err
}

// proxyResponse is the API Gateway proxy response a routed function
// returns.
type proxyResponse struct {
	StatusCode   int    `json:"statusCode"`
	Body         string `json:"body"`
	ErrorMessage string `json:"errorMessage"`
}

// coldStarts measures each function's cold start runs times, each in a
// fresh emulator. next builds the i-th invocation of a function; done
// hears each answer (payments-create-order's feed the webhook's).
func coldStarts(ctx context.Context, fns []string, runs int, em rie.Emulator, handlerEnv func(fn string) []string,
	next func(fn string, i int) (invocation, error), done func(fn string, resp proxyResponse), p *progress) []report.ColdStart {
	var out []report.ColdStart
	for _, fn := range fns {
		c := report.ColdStart{Function: fn, Runs: runs}
		var init, first, rt, self []time.Duration
		fail := func(format string, args ...any) {
			c.Failures++
			if c.Failure == "" {
				c.Failure = fmt.Sprintf(format, args...)
			}
		}
		for i := range runs {
			if ctx.Err() != nil {
				return out
			}
			p.Detail("%s, process %d of %d", fn, i+1, runs)
			inv, err := next(fn, i)
			if err != nil {
				fail("build the request: %v", err)
				continue
			}
			e := em
			e.Env = append(handlerEnv(fn), routes.EnvHandler+"="+fn)
			res, err := e.ColdStart(ctx, inv.payload)
			if err != nil {
				fail("%v", firstLine(err.Error()))
				continue
			}
			if !res.Log.HasInit || res.Log.InitStatus != "success" {
				fail("init did not succeed (status %q): %s", res.Log.InitStatus, lastLines(string(res.Output), 3))
				continue
			}
			var resp proxyResponse
			_ = json.Unmarshal(res.Response, &resp)
			switch {
			case resp.ErrorMessage != "":
				fail("invocation failed: %s", resp.ErrorMessage)
				continue
			case len(inv.expect) > 0 && !slices.Contains(inv.expect, resp.StatusCode):
				fail("answered %d: %.200s", resp.StatusCode, resp.Body)
				continue
			}
			if done != nil {
				done(fn, resp)
			}
			init = append(init, res.Log.Init)
			if len(res.Log.Invokes) > 0 {
				first = append(first, res.Log.Invokes[0].Duration)
			}
			rt = append(rt, res.RoundTrip)
			sc := bufio.NewScanner(bytes.NewReader(res.Output))
			for sc.Scan() {
				docs, err := emf.Parse(sc.Bytes())
				if err != nil {
					continue
				}
				for _, d := range docs {
					if d.Metric == "ColdStartDuration" && len(d.Values) > 0 {
						self = append(self, stats.FromMillis(d.Values[0]))
					}
				}
			}
		}
		c.Init, c.FirstInvoke = stats.Summarize(init), stats.Summarize(first)
		c.RoundTrip, c.SelfReported = stats.Summarize(rt), stats.Summarize(self)
		p.Log("cold start %-22s init p50 %s p95 %s, first invoke p50 %s (%d runs, %d failed)", fn,
			report.Ms(c.Init.P50), report.Ms(c.Init.P95), report.Ms(c.FirstInvoke.P50), runs, c.Failures)
		out = append(out, c)
	}
	return out
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
