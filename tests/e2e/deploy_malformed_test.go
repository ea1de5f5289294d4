package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func markerLogs(body string) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "e2e-malformed")
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetSeverityNumber(plog.SeverityNumberInfo)
	lr.SetTimestamp(1)
	lr.Body().SetStr(body)
	return ld
}

func sinkHasLog(t testing.TB, sink *Sink, body string) bool {
	for _, ld := range sink.Logs(t) {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			sls := ld.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					if lrs.At(k).Body().AsString() == body {
						return true
					}
				}
			}
		}
	}
	return false
}

// postOTLP posts body to an OTLP/HTTP path and returns the status code.
func postOTLP(t testing.TB, url, contentType string, body io.Reader) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s (%s): %v", url, contentType, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return resp.StatusCode, string(msg)
}

// TestDeployMalformedOTLP sends broken requests to the shipped agent: each gets a clean 4xx, the
// agent stays up, and what it accepted before and after reaches the backend.
func TestDeployMalformedOTLP(t *testing.T) {
	sink := StartOTLPSink(t)
	d := newLoopbackDeployment(t)
	d.lokiEndpoint = sink.HTTPEndpoint()
	d.startAgents(1)
	agent := d.agents[0]
	client := NewOTLPClient(t, agent.grpc)

	if err := client.SendLogs(markerLogs("accepted before the malformed requests")); err != nil {
		t.Fatal(err)
	}

	valid, err := ptraceotlp.NewExportRequestFromTraces(halvesForMalformed()).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	tracesURL := "http://" + agent.http + "/v1/traces"
	cases := []struct {
		name, contentType string
		body              func() io.Reader
		want              []int
	}{
		{"truncated protobuf", "application/x-protobuf", func() io.Reader { return bytes.NewReader(valid[:len(valid)/2]) }, []int{http.StatusBadRequest}},
		{"garbage protobuf", "application/x-protobuf", func() io.Reader { return strings.NewReader("\xff\xff\xff\xff\x0f not protobuf") }, []int{http.StatusBadRequest}},
		{"truncated JSON", "application/json", func() io.Reader { return strings.NewReader(`{"resourceSpans":[{"scopeSpans":[`) }, []int{http.StatusBadRequest}},
		{"wrong content type", "text/plain", func() io.Reader { return strings.NewReader("hello") }, []int{http.StatusUnsupportedMediaType}},
		// 100 MB, streamed: the receiver's 16 MiB max_request_body_size stops reading early.
		{"100 MB body", "application/x-protobuf", func() io.Reader { return io.LimitReader(zeroReader{}, 100<<20) }, []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge}},
	}
	for _, c := range cases {
		began := time.Now()
		code, msg := postOTLP(t, tracesURL, c.contentType, c.body())
		t.Logf("malformed: %s -> %d in %s (%q)", c.name, code, time.Since(began).Round(time.Millisecond), strings.TrimSpace(msg))
		if !containsInt(c.want, code) {
			t.Errorf("%s: status %d, want one of %v", c.name, code, c.want)
		}
		if !agent.Running() {
			t.Fatalf("the agent exited after %s", c.name)
		}
	}

	// gRPC: a message over max_recv_msg_size_mib (16) is refused before it is decoded.
	huge := halvesForMalformed()
	huge.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().PutStr("blob", strings.Repeat("x", 20<<20))
	err = client.SendTraces(huge)
	t.Logf("malformed: 20 MiB gRPC request -> %v", status.Code(err))
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("20 MiB gRPC request: %v, want ResourceExhausted", err)
	}

	if err := client.SendLogs(markerLogs("accepted after the malformed requests")); err != nil {
		t.Fatalf("the agent refuses valid data after the malformed requests: %v", err)
	}
	Eventually(t, time.Minute, func() bool {
		return sinkHasLog(t, sink, "accepted before the malformed requests") && sinkHasLog(t, sink, "accepted after the malformed requests")
	}, "the logs accepted around the malformed requests did not reach the backend")
	if !agent.Running() {
		t.Fatal("the agent exited")
	}
}

func halvesForMalformed() ptrace.Traces {
	first, _ := halves(newWorkload(1_000_000, 10), time.Now())
	return first
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
