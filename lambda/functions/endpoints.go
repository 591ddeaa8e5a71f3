package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hasivu/infra/lambda/analytics"
	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/auth"
	"github.com/hasivu/infra/lambda/emf"
	"github.com/hasivu/infra/lambda/menus"
	"github.com/hasivu/infra/lambda/metrics"
	"github.com/hasivu/infra/lambda/migrations"
	"github.com/hasivu/infra/lambda/orders"
	"github.com/hasivu/infra/lambda/payments"
	"github.com/hasivu/infra/lambda/postgres"
	"github.com/hasivu/infra/lambda/profiles"
	"github.com/hasivu/infra/lambda/razorpay"
	"github.com/hasivu/infra/lambda/redis"
	"github.com/hasivu/infra/lambda/restapi"
	"github.com/hasivu/infra/lambda/rfid"
)

// loginSteps are the metrics of sign-in's timed steps.
var loginSteps = map[string]metrics.Metric{
	auth.StepPasswordVerify: metrics.PasswordVerifyDuration,
	auth.StepTokenIssue:     metrics.TokenIssueDuration,
}

// authLogin serves POST /auth/login: {"email","password"} → token. It
// times the password check and the token's signing and counts the
// sign-ins that succeed; too many failures lock the account or the
// address (signIn).
func authLogin(d *Deps) restapi.Endpoint {
	svc := &auth.Service{Users: &postgres.Users{Pool: d.Pool}, Tokens: d.Tokens,
		Timed: func(ctx context.Context, step string, took time.Duration) {
			if m, ok := loginSteps[step]; ok {
				emf.FromContext(ctx).Duration(m, took)
			}
		}}
	guard := d.signIn()
	// Beside the rest of init, not in the first unknown email's answer.
	go auth.PrepareDummyHash()
	return func(ctx context.Context, r *restapi.Request) (*restapi.Response, error) {
		var req auth.LoginRequest
		if err := restapi.DecodeJSON(&r.APIGatewayProxyRequest, &req); err != nil {
			return nil, err
		}
		a := guard.attempt(r, req)
		if locked := guard.locked(ctx, r, a); locked != nil {
			return locked, nil
		}
		res, err := svc.Login(ctx, req)
		guard.done(ctx, r, a, res, err)
		if err != nil {
			return nil, err
		}
		emf.FromContext(ctx).Add(metrics.LoginSucceeded, 1)
		return restapi.OK(res), nil
	}
}

// OrdersService returns the orders service the orders functions run:
// PostgreSQL behind versioned cached pages; a placed order retires its
// school's cached summaries.
func (d *Deps) OrdersService() *orders.Service {
	return &orders.Service{Store: &postgres.Orders{Pool: d.Pool}, Cache: d.orderPages(), Schools: d.summaries(), Now: d.Now}
}

func (d *Deps) orderPages() redis.OrderPages {
	return redis.OrderPages{Cache: d.Cache, Versions: &postgres.Orders{Pool: d.Pool}}
}

// summaries are the schools' cached summaries, at the version of each
// school's (postgres.SchoolVersions), which the writes that change them
// raise.
func (d *Deps) summaries() redis.Versioned[analytics.Summary] {
	return redis.Versioned[analytics.Summary]{Cache: d.Cache, Kind: redis.Analytics,
		Versions: postgres.CacheVersions{Pool: d.Pool, Scope: postgres.SchoolVersions}}
}

// ProfilesService returns the profile service the profile functions run:
// PostgreSQL behind profiles cached at each user's profile version.
func (d *Deps) ProfilesService() *profiles.Service {
	return &profiles.Service{Store: &postgres.Profiles{Pool: d.Pool}, Cache: redis.Versioned[profiles.Profile]{
		Cache: d.Cache, Kind: redis.Profile, Versions: postgres.CacheVersions{Pool: d.Pool, Scope: postgres.ProfileVersions}}}
}

// AnalyticsService returns the analytics service analytics-daily runs.
func (d *Deps) AnalyticsService() *analytics.Service {
	return &analytics.Service{Store: &postgres.Summaries{Pool: d.Pool}, Cache: d.summaries()}
}

// ordersPage is the orders-list response: a page whose data may be cut
// down to the requested fields, and where it stands in the whole list.
type ordersPage struct {
	Data       json.RawMessage `json:"data"`
	Page       int             `json:"page"`
	Limit      int             `json:"limit"`
	Total      int             `json:"total"`
	TotalPages int             `json:"totalPages"`
	HasNext    bool            `json:"hasNext"`
	HasPrev    bool            `json:"hasPrev"`
	HasMore    bool            `json:"hasMore"`
}

// ordersList serves GET /orders?page=&limit=&fields=.
func ordersList(d *Deps) restapi.Endpoint {
	svc := d.OrdersService()
	return func(ctx context.Context, r *restapi.Request) (*restapi.Response, error) {
		who, err := claims(r)
		if err != nil {
			return nil, err
		}
		page, limit, err := restapi.Pagination(&r.APIGatewayProxyRequest)
		if err != nil {
			return nil, err
		}
		fields, err := restapi.Fields[orders.Order](&r.APIGatewayProxyRequest)
		if err != nil {
			return nil, err
		}
		p, err := svc.List(ctx, who.UserID, page, limit)
		if err != nil {
			return nil, err
		}
		data, err := restapi.Select(p.Orders, fields)
		if err != nil {
			return nil, fmt.Errorf("select fields: %w", err)
		}
		return restapi.OK(ordersPage{Data: data, Page: p.Page, Limit: p.Limit, Total: p.Total, TotalPages: p.TotalPages,
			HasNext: p.HasNext, HasPrev: p.HasPrev, HasMore: p.HasMore}), nil
	}
}

// ordersCreate serves POST /orders with an Idempotency-Key header: 201
// with the new order, or 200 with the order a retry already placed.
func ordersCreate(d *Deps) restapi.Endpoint {
	svc := d.OrdersService()
	return func(ctx context.Context, r *restapi.Request) (*restapi.Response, error) {
		who, err := claims(r)
		if err != nil {
			return nil, err
		}
		var req orders.NewOrder
		if err := restapi.DecodeJSON(&r.APIGatewayProxyRequest, &req); err != nil {
			return nil, err
		}
		key := restapi.Header(&r.APIGatewayProxyRequest, "Idempotency-Key")
		o, created, err := svc.Create(ctx, who.UserID, key, req)
		if err != nil {
			return nil, err
		}
		if !created {
			return &restapi.Response{Status: 200, Body: o, Headers: map[string]string{"Idempotent-Replayed": "true"}}, nil
		}
		return restapi.Created(o), nil
	}
}

// menuRoutes serves the menus-daily function's routes: a school's menu for a
// day and its menu item catalogue, both public.
func menuRoutes(d *Deps) restapi.Endpoint {
	return byRoute(map[string]restapi.Endpoint{
		"GET /schools/{schoolId}/menus/{date}": menusDaily(d),
		"GET /schools/{schoolId}/menu-items":   menusItems(d),
	})
}

// menusDaily serves GET /schools/{schoolId}/menus/{date}.
func menusDaily(d *Deps) restapi.Endpoint {
	svc := &menus.Service{Store: &postgres.Menus{Pool: d.Pool}, Cache: redis.Menus{Cache: d.Cache}}
	return func(ctx context.Context, r *restapi.Request) (*restapi.Response, error) {
		m, err := svc.Daily(ctx, r.PathParameters["schoolId"], r.PathParameters["date"])
		if err != nil {
			return nil, err
		}
		return restapi.OK(m), nil
	}
}

// menusItems serves GET /schools/{schoolId}/menu-items: the school's menu
// item catalogue.
func menusItems(d *Deps) restapi.Endpoint {
	svc := &menus.Catalogues{Store: &postgres.Menus{Pool: d.Pool}, Cache: redis.Menus{Cache: d.Cache}}
	return func(ctx context.Context, r *restapi.Request) (*restapi.Response, error) {
		c, err := svc.Get(ctx, r.PathParameters["schoolId"])
		if err != nil {
			return nil, err
		}
		return restapi.OK(c), nil
	}
}

// profile serves the profile function's routes: GET and PATCH /me.
func profile(d *Deps) restapi.Endpoint {
	return byRoute(map[string]restapi.Endpoint{"GET /me": profileGet(d), "PATCH /me": profileUpdate(d)})
}

// profileGet serves GET /me: the caller's profile with their students.
func profileGet(d *Deps) restapi.Endpoint {
	svc := d.ProfilesService()
	return func(ctx context.Context, r *restapi.Request) (*restapi.Response, error) {
		who, err := claims(r)
		if err != nil {
			return nil, err
		}
		p, err := svc.Get(ctx, who.UserID)
		if err != nil {
			return nil, err
		}
		return restapi.OK(p), nil
	}
}

// profileUpdate serves PATCH /me {"firstName","lastName","phone"}, each
// optional: the caller's profile as it now is.
func profileUpdate(d *Deps) restapi.Endpoint {
	svc := d.ProfilesService()
	return func(ctx context.Context, r *restapi.Request) (*restapi.Response, error) {
		who, err := claims(r)
		if err != nil {
			return nil, err
		}
		var c profiles.Change
		if err := restapi.DecodeJSON(&r.APIGatewayProxyRequest, &c); err != nil {
			return nil, err
		}
		p, err := svc.Update(ctx, who.UserID, c)
		if err != nil {
			return nil, err
		}
		return restapi.OK(p), nil
	}
}

// paymentsMethods serves GET /payments/methods: the payment methods
// Razorpay offers the platform's account, for the checkout. A cached
// answer is served whatever Razorpay's state; without one, a Razorpay
// outage or missing credentials answer 503.
func paymentsMethods(d *Deps) restapi.Endpoint {
	cache := redis.Methods{Cache: d.Cache}
	return func(ctx context.Context, r *restapi.Request) (*restapi.Response, error) {
		if _, err := claims(r); err != nil {
			return nil, err
		}
		rp, err := d.razorpay.get(ctx)
		if err != nil {
			secretFailed(ctx)
			return nil, apperr.Wrap(apperr.Unavailable, err, "%s", noRazorpay)
		}
		svc := &payments.MethodsService{Cache: cache, KeyID: rp.KeyID,
			Gateway: &razorpay.Client{BaseURL: d.razorpayBaseURL, KeyID: rp.KeyID, HTTP: d.httpClient}}
		m, err := svc.Get(ctx)
		if err != nil {
			countRefusedKeys(ctx, err)
			return nil, err
		}
		return restapi.OK(m), nil
	}
}

// analyticsDaily serves GET /schools/{schoolId}/analytics?from=&to=: the
// school's daily summary, for its staff.
func analyticsDaily(d *Deps) restapi.Endpoint {
	svc := d.AnalyticsService()
	return func(ctx context.Context, r *restapi.Request) (*restapi.Response, error) {
		who, err := claims(r)
		if err != nil {
			return nil, err
		}
		from, _ := restapi.Query(&r.APIGatewayProxyRequest, "from")
		to, _ := restapi.Query(&r.APIGatewayProxyRequest, "to")
		sum, err := svc.Daily(ctx, who, r.PathParameters["schoolId"], from, to)
		if err != nil {
			return nil, err
		}
		return restapi.OK(sum), nil
	}
}

// checkout serves the payments-create-order function's routes, which a
// parent's checkout calls: the payment methods, then the payment order.
func checkout(d *Deps) restapi.Endpoint {
	return byRoute(map[string]restapi.Endpoint{
		"GET /payments/methods": paymentsMethods(d),
		"POST /payments/orders": paymentsCreateOrder(d),
	})
}

// paymentsCreateOrder serves POST /payments/orders {"orderId"}: 201 with
// a new payment order, 200 with the order's existing live one.
func paymentsCreateOrder(d *Deps) restapi.Endpoint {
	return func(ctx context.Context, r *restapi.Request) (*restapi.Response, error) {
		who, err := claims(r)
		if err != nil {
			return nil, err
		}
		var req payments.CreateRequest
		if err := restapi.DecodeJSON(&r.APIGatewayProxyRequest, &req); err != nil {
			return nil, err
		}
		svc, _, err := d.payments(ctx)
		if err != nil {
			return nil, err
		}
		po, created, err := svc.CreateOrder(ctx, who.UserID, req)
		if err != nil {
			countRefusedKeys(ctx, err)
			return nil, err
		}
		if created {
			return restapi.Created(po), nil
		}
		return restapi.OK(po), nil
	}
}

// paymentsWebhook serves POST /payments/webhook from Razorpay: the
// Razorpay adapter checks the delivery's signature and reads its event,
// and the payments service applies it. A change to an order's payment
// status raises its owner's order-list version and its school's summary
// version in the cache before Razorpay is answered. A capture owed back is counted as
// metrics.PaymentsRefundDue, which an alarm watches, and logged.
func paymentsWebhook(d *Deps) restapi.Endpoint {
	pages, schools := d.orderPages(), d.summaries()
	return func(ctx context.Context, r *restapi.Request) (*restapi.Response, error) {
		body, err := restapi.Body(&r.APIGatewayProxyRequest)
		if err != nil {
			return nil, err
		}
		svc, hook, err := d.payments(ctx)
		if err != nil {
			return nil, err
		}
		signature := restapi.Header(&r.APIGatewayProxyRequest, "X-Razorpay-Signature")
		ev, err := hook.Read(body, signature)
		if errors.Is(err, razorpay.ErrSignatureMismatch) && d.razorpay.refresh(ctx) {
			// The webhook secret may have been rotated since we read it.
			if svc, hook, err = d.payments(ctx); err != nil {
				return nil, err
			}
			ev, err = hook.Read(body, signature)
		}
		if err != nil {
			d.auditWebhookRefused(ctx, r, err)
			return nil, err
		}
		res, err := svc.Apply(ctx, ev)
		if err != nil {
			return nil, err
		}
		d.auditPayment(ctx, r, ev, res)
		if res.ListVersion > 0 {
			pages.Changed(ctx, res.UserID, res.ListVersion)
		}
		if res.SchoolVersion > 0 {
			schools.Changed(ctx, res.SchoolID, res.SchoolVersion)
		}
		switch res.Status {
		case payments.RefundDue:
			emf.FromContext(ctx).Add(metrics.PaymentsRefundDue, 1, metrics.DimReason, res.Reason)
			slog.WarnContext(ctx, "captured payment owed back", "reason", res.Reason, "user", res.UserID)
		case payments.UnknownOrder, payments.NotCaptured:
			slog.WarnContext(ctx, "webhook payment not applied", "outcome", res.Status)
		}
		return restapi.OK(res), nil
	}
}

// rfidVerifyCard serves POST /rfid/verify {"cardNumber","readerId"}: a
// meal it records retires its school's cached summaries.
func rfidVerifyCard(d *Deps) restapi.Endpoint {
	svc := &rfid.Service{Store: &postgres.Cards{Pool: d.Pool}, Schools: d.summaries(), Now: d.Now}
	return func(ctx context.Context, r *restapi.Request) (*restapi.Response, error) {
		who, err := claims(r)
		if err != nil {
			return nil, err
		}
		var req rfid.Request
		if err := restapi.DecodeJSON(&r.APIGatewayProxyRequest, &req); err != nil {
			return nil, err
		}
		v, err := svc.Verify(ctx, who, req)
		if err != nil {
			return nil, err
		}
		return restapi.OK(v), nil
	}
}

// migrate applies the embedded migrations; the CDK Trigger that invokes
// it on deploy sends any payload, which is ignored.
func migrate(d *Deps) func(ctx context.Context, payload json.RawMessage) (any, error) {
	return func(ctx context.Context, _ json.RawMessage) (any, error) {
		res, err := migrations.Apply(ctx, d.Pool)
		if err != nil {
			return nil, err
		}
		slog.InfoContext(ctx, "migrations applied", "applied", res.Applied, "version", res.Version)
		return res, nil
	}
}
