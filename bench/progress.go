package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress keeps one status line on stderr: the phase, what it is doing
// and the time since the run began. On a terminal the line is redrawn in
// place; otherwise (CI logs) a line is printed when the phase changes and
// every 15 seconds.
type progress struct {
	mu     sync.Mutex
	w      io.Writer
	tty    bool
	start  time.Time
	phase  string
	n, of  int
	detail string
	last   time.Time
	width  int
	stop   chan struct{}
	done   chan struct{}
	closed sync.Once
}

func newProgress(w *os.File, phases int) *progress {
	fi, err := w.Stat()
	p := &progress{w: w, tty: err == nil && fi.Mode()&os.ModeCharDevice != 0, start: time.Now(), of: phases,
		stop: make(chan struct{}), done: make(chan struct{})}
	go p.loop()
	return p
}

func (p *progress) loop() {
	defer close(p.done)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			if p.tty || time.Since(p.last) >= 15*time.Second {
				p.draw()
			}
			p.mu.Unlock()
		}
	}
}

// Phase starts the next phase.
func (p *progress) Phase(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	p.phase, p.detail = name, ""
	p.draw()
}

// Detail says what the phase is doing.
func (p *progress) Detail(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.detail = fmt.Sprintf(format, args...)
}

// Log prints a line above the status line.
func (p *progress) Log(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintf(p.w, format+"\n", args...)
	if p.tty {
		p.draw()
	}
}

func (p *progress) line() string {
	el := time.Since(p.start).Round(time.Second)
	s := fmt.Sprintf("[%d/%d %s] %s", p.n, p.of, el, p.phase)
	if p.detail != "" {
		s += ": " + p.detail
	}
	return s
}

func (p *progress) clear() {
	if p.tty && p.width > 0 {
		fmt.Fprint(p.w, "\r"+strings.Repeat(" ", p.width)+"\r")
		p.width = 0
	}
}

func (p *progress) draw() {
	if p.phase == "" {
		return
	}
	s := p.line()
	p.last = time.Now()
	if !p.tty {
		fmt.Fprintln(p.w, s)
		return
	}
	if len(s) > 150 {
		s = s[:150]
	}
	p.clear()
	fmt.Fprint(p.w, s)
	p.width = len(s)
}

// Close removes the status line; later calls do nothing.
func (p *progress) Close() {
	p.closed.Do(func() {
		close(p.stop)
		<-p.done
		p.mu.Lock()
		defer p.mu.Unlock()
		p.clear()
	})
}
