package redis

import "time"

// NewRateLimitedLog exposes the log limiter to the tests.
func NewRateLimitedLog(every time.Duration) *rateLimitedLog { return &rateLimitedLog{every: every} }

// Allow exposes rateLimitedLog.allow to the tests.
func (l *rateLimitedLog) Allow(now time.Time) (bool, int) { return l.allow(now) }
