package e2e

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// errorTrace is one error span (tail_policy keeps every error trace) marked with who sent it.
func errorTrace(sender string, seq int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "e2e-security")
	s := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	tr := newWorkload(2_000_000+seq, 1)[0]
	s.SetTraceID(tr.id)
	s.SetSpanID(spanID(tr.id, 0))
	s.SetName("security-probe")
	s.SetKind(ptrace.SpanKindServer)
	now := time.Now()
	s.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(-time.Millisecond)))
	s.SetEndTimestamp(pcommon.NewTimestampFromTime(now))
	s.Status().SetCode(ptrace.StatusCodeError)
	s.Attributes().PutStr("e2e.sender", sender)
	return td
}

func exportWithAuthorization(t testing.TB, d *loopbackDeployment, endpoint, authorization string, td ptrace.Traces) error {
	t.Helper()
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(credentials.NewTLS(d.tls.clientConfig())))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if authorization != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", authorization)
	}
	_, err = ptraceotlp.NewGRPCClient(conn).Export(ctx, ptraceotlp.NewExportRequestFromTraces(td))
	return err
}

func postWithAuthorization(t testing.TB, d *loopbackDeployment, url, authorization string, td ptrace.Traces) int {
	t.Helper()
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: d.tls.clientConfig()}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestDeployGatewayRequiresToken: the shipped gateway accepts OTLP only over TLS and with the bearer
// token from its Secret file. Clients (trusting the CA) without the token or with a wrong one are
// refused on gRPC and HTTP and nothing they sent reaches Tempo; an agent holding the token gets
// through; no log names either token.
func TestDeployGatewayRequiresToken(t *testing.T) {
	sink := StartOTLPSink(t)
	d := newLoopbackDeployment(t)
	d.tempoEndpoint = sink.GRPCEndpoint()
	d.startGateways(1)
	d.startAgents(1)
	gw := d.gateways[0]
	_, wrongToken := secretFile(t, 32)

	for i, c := range []struct{ sender, authorization string }{
		{"no-token", ""},
		{"wrong-token", "Bearer " + wrongToken},
	} {
		err := exportWithAuthorization(t, d, gw.grpc, c.authorization, errorTrace(c.sender+"-grpc", i))
		t.Logf("security: gRPC with %s -> %v", c.sender, status.Code(err))
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("gRPC with %s: %v, want Unauthenticated", c.sender, err)
		}
		code := postWithAuthorization(t, d, "https://"+gw.http+"/v1/traces", c.authorization, errorTrace(c.sender+"-http", 10+i))
		t.Logf("security: HTTP with %s -> %d", c.sender, code)
		if code != http.StatusUnauthorized {
			t.Errorf("HTTP with %s: status %d, want 401", c.sender, code)
		}
	}

	// The agent reads the same token from its own Secret file.
	if err := NewOTLPClient(t, d.agents[0].grpc).SendTraces(errorTrace("agent", 100)); err != nil {
		t.Fatal(err)
	}
	senders := func() map[string]int {
		out := map[string]int{}
		for _, td := range sink.Traces(t) {
			for i := 0; i < td.ResourceSpans().Len(); i++ {
				sss := td.ResourceSpans().At(i).ScopeSpans()
				for j := 0; j < sss.Len(); j++ {
					for k := 0; k < sss.At(j).Spans().Len(); k++ {
						v, _ := sss.At(j).Spans().At(k).Attributes().Get("e2e.sender")
						out[v.AsString()]++
					}
				}
			}
		}
		return out
	}
	Eventually(t, time.Minute, func() bool { return senders()["agent"] > 0 }, "the agent's authenticated trace did not reach the sink")
	// The refused requests were answered before any processing; give the pipeline a moment anyway.
	time.Sleep(3 * time.Second)
	got := senders()
	t.Logf("security: spans at the sink by sender %v", got)
	if len(got) != 1 {
		t.Errorf("only the agent's span may reach the sink, got %v", got)
	}
	for _, c := range []*Collector{gw.Collector, d.agents[0].Collector} {
		assertLogHasNoSecret(t, c, "the gateway token", d.token)
		assertLogHasNoSecret(t, c, "the wrong token", wrongToken)
	}
}
