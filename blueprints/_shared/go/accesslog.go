package main

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"
)

// lambdaContextHeader carries the Lambda invocation context, as JSON, on every request the
// Lambda Web Adapter forwards; its request_id is the id in the function's START/END log lines.
const lambdaContextHeader = "X-Amzn-Lambda-Context"

// accessEntry is one access-log line; every lambda-scaffold app writes the same fields.
type accessEntry struct {
	Time       string  `json:"time"`
	Method     string  `json:"method"`
	Path       string  `json:"path"`
	Status     int     `json:"status"`
	DurationMs float64 `json:"duration_ms"`
	RequestID  *string `json:"request_id"`
}

// accessLog writes one JSON line to out for each request once its response is complete, except
// for the readiness check (/healthz), which the adapter calls on every cold start.
func accessLog(next http.Handler, out io.Writer) http.Handler {
	var mu sync.Mutex
	encoder := json.NewEncoder(out)
	encoder.SetEscapeHTML(false)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		started := time.Now()
		recorder := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(recorder, r)
		entry := accessEntry{
			Time:       started.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
			Method:     r.Method,
			Path:       r.URL.Path,
			Status:     recorder.status,
			DurationMs: float64(time.Since(started).Microseconds()) / 1000,
			RequestID:  lambdaRequestID(r),
		}
		mu.Lock()
		defer mu.Unlock()
		_ = encoder.Encode(entry) // a log line that cannot be written must not fail the request
	})
}

// lambdaRequestID returns the request id from the adapter's context header, or nil off Lambda.
func lambdaRequestID(r *http.Request) *string {
	raw := r.Header.Get(lambdaContextHeader)
	if raw == "" {
		return nil
	}
	var context struct {
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal([]byte(raw), &context); err != nil || context.RequestID == "" {
		return nil
	}
	return &context.RequestID
}

// statusRecorder remembers the status a handler sends; it still flushes, for streamed responses.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(status int) {
	if !r.wroteHeader && status >= http.StatusOK {
		r.status = status
		r.wroteHeader = true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(body []byte) (int, error) {
	r.wroteHeader = true
	return r.ResponseWriter.Write(body)
}

func (r *statusRecorder) Flush() {
	if flusher, ok := r.ResponseWriter.(http.Flusher); ok {
		flusher.Flush()
	}
}

// Unwrap lets http.ResponseController reach the server's own writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter {
	return r.ResponseWriter
}
