package main

import (
	"encoding/json"
	"testing"

	"github.com/hasivu/infra/bench/internal/mix"
	"github.com/hasivu/infra/lambda/routes"
)

func TestProxyEvent(t *testing.T) {
	ev, err := proxyEvent(mix.MenuRequest("0193-school", "2026-11-27"))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Resource != "/schools/{schoolId}/menus/{date}" || ev.PathParameters["schoolId"] != "0193-school" ||
		ev.PathParameters["date"] != "2026-11-27" || ev.HTTPMethod != "GET" {
		t.Errorf("menu event = %+v", ev)
	}
	req := mix.TapRequest("tok", "RF1")
	req.Path = "/rfid/verify"
	ev, err = proxyEvent(req)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Headers["Authorization"] != "Bearer tok" || ev.Body == "" || ev.PathParameters != nil {
		t.Errorf("tap event = %+v", ev)
	}
	ev, err = proxyEvent(mix.Request{Function: routes.OrdersList, Route: "GET /orders", Method: "GET", Path: "/orders?page=2&fields=id"})
	if err != nil {
		t.Fatal(err)
	}
	if ev.QueryStringParameters["page"] != "2" || ev.MultiValueQueryStringParameters["fields"][0] != "id" || ev.Path != "/orders" {
		t.Errorf("list event = %+v", ev)
	}
	if _, err := proxyEvent(mix.Request{Function: routes.MenusDaily, Route: mix.MenuRoute, Method: "GET", Path: "/schools/x"}); err == nil {
		t.Error("a path that does not match its route")
	}
	// A function of several routes: each request names its own.
	ev, err = proxyEvent(mix.MenuItemsRequest("0193-school"))
	if err != nil || ev.Resource != "/schools/{schoolId}/menu-items" || ev.PathParameters["schoolId"] != "0193-school" {
		t.Errorf("menu items event = %+v (%v)", ev, err)
	}
	if _, err := proxyEvent(mix.Request{Function: "nope", Method: "GET", Path: "/"}); err == nil {
		t.Error("a function without a route")
	}
	inv, err := apiInvocation(mix.LoginRequest("a@example.test", "pw"))
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Resource, Body string
	}
	if err := json.Unmarshal(inv.payload, &back); err != nil || back.Resource != "/auth/login" || back.Body == "" {
		t.Errorf("payload %s (%v)", inv.payload, err)
	}
}
