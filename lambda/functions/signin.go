package functions

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/audit"
	"github.com/hasivu/infra/lambda/auth"
	"github.com/hasivu/infra/lambda/emf"
	"github.com/hasivu/infra/lambda/loginguard"
	"github.com/hasivu/infra/lambda/metrics"
	"github.com/hasivu/infra/lambda/payments"
	"github.com/hasivu/infra/lambda/redis"
	"github.com/hasivu/infra/lambda/restapi"
	"github.com/hasivu/infra/lambda/routes"
)

// signIn wraps auth-login's password check with the brute-force guard
// (package loginguard, counting in Redis) and writes its audit line.
type signIn struct {
	guard *loginguard.Guard
	d     *Deps
}

func (d *Deps) signIn() *signIn {
	return &signIn{guard: loginguard.New(redis.Attempts{Cache: d.Cache}, func() time.Time { return d.Now() }), d: d}
}

// attempt is the sign-in r asks for.
func (s *signIn) attempt(r *restapi.Request, req auth.LoginRequest) loginguard.Attempt {
	return loginguard.Attempt{Email: req.Email, IP: restapi.ClientIP(&r.APIGatewayProxyRequest)}
}

func (s *signIn) line(r *restapi.Request, a loginguard.Attempt, outcome string) audit.Event {
	return audit.Event{Event: audit.Login, Outcome: outcome, EmailHash: loginguard.EmailHash(a.Email),
		SourceIP: a.IP, RequestID: r.RequestContext.RequestID}
}

// locked answers a locked sign-in, before its password is checked: 429
// with Retry-After, the same for an email with an account and one
// without. It returns nil when the sign-in may go on.
func (s *signIn) locked(ctx context.Context, r *restapi.Request, a loginguard.Attempt) *restapi.Response {
	wait := s.guard.RetryAfter(ctx, a)
	if wait <= 0 {
		return nil
	}
	secs := int(math.Ceil(wait.Seconds()))
	e := s.line(r, a, audit.Locked)
	e.RetryAfterSeconds = secs
	s.d.Audit.Write(ctx, e)
	return &restapi.Response{Status: restapi.Status(apperr.Throttled), Headers: map[string]string{"Retry-After": strconv.Itoa(secs)},
		Body: restapi.ErrorBody{Error: restapi.ErrorDetail{Code: apperr.Throttled,
			Message: fmt.Sprintf("too many failed sign-ins: try again in %s", time.Duration(secs)*time.Second)}}}
}

// done counts the sign-in's outcome and writes its audit line: a wrong
// password or an unknown email (Unauthorized, one answer for both) counts
// a failure, a success clears the account's count.
func (s *signIn) done(ctx context.Context, r *restapi.Request, a loginguard.Attempt, res *auth.LoginResult, err error) {
	switch {
	case err == nil:
		s.guard.Succeeded(ctx, a)
		e := s.line(r, a, audit.Success)
		e.UserID = res.User.ID
		s.d.Audit.Write(ctx, e)
	case apperr.CodeOf(err) == apperr.Unauthorized:
		s.guard.Failed(ctx, a)
		s.d.Audit.Write(ctx, s.line(r, a, audit.Failure))
	case apperr.CodeOf(err) == apperr.Forbidden:
		s.d.Audit.Write(ctx, s.line(r, a, audit.Refused))
	}
}

// auditTokenRejected writes the audit line of a request refused for its
// token: the function, why (the error's message, which names no part of
// the token), the client and the request.
func (d *Deps) auditTokenRejected(ctx context.Context, route routes.Route, req *events.APIGatewayProxyRequest, err error) {
	reason := string(apperr.CodeOf(err))
	if e := apperr.As(err); e != nil {
		reason = e.Message
	}
	d.Audit.Write(ctx, audit.Event{Event: audit.TokenRejected, Outcome: audit.Refused, Function: route.Function,
		Reason: reason, SourceIP: restapi.ClientIP(req), RequestID: req.RequestContext.RequestID})
}

// auditWebhookRefused counts a webhook delivery whose signature did not
// verify (metrics.WebhookSignatureFailures) and writes its audit line.
func (d *Deps) auditWebhookRefused(ctx context.Context, r *restapi.Request, err error) {
	if apperr.CodeOf(err) != apperr.Unauthorized {
		return
	}
	emf.FromContext(ctx).Add(metrics.WebhookSignatureFailures, 1)
	d.Audit.Write(ctx, audit.Event{Event: audit.WebhookSignature, Outcome: audit.Refused, Function: routes.PaymentsWebhook,
		SourceIP: restapi.ClientIP(&r.APIGatewayProxyRequest), RequestID: r.RequestContext.RequestID})
}

// auditPayment writes the audit line of an applied webhook event: what it
// did to the payment (its outcome and, for a capture owed back, why).
func (d *Deps) auditPayment(ctx context.Context, r *restapi.Request, ev payments.Event, res *payments.WebhookResult) {
	order, payment := ev.Payment.RazorpayOrderID, ev.Payment.RazorpayPaymentID
	if order == "" {
		order, payment = ev.Refund.RazorpayOrderID, ev.Refund.RazorpayPaymentID
	}
	d.Audit.Write(ctx, audit.Event{Event: audit.PaymentOutcome, Outcome: string(res.Status), Function: routes.PaymentsWebhook,
		UserID: res.UserID, OrderID: order, PaymentID: payment, Reason: res.Reason,
		SourceIP: restapi.ClientIP(&r.APIGatewayProxyRequest), RequestID: r.RequestContext.RequestID})
}
