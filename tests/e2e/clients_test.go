package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

const sendTimeout = 30 * time.Second

// OTLPClient sends pdata over OTLP/gRPC with the collector's own generated clients, for tests that need
// exact control over what is sent (trace ids, late spans, several requests per trace).
type OTLPClient struct {
	conn    *grpc.ClientConn
	traces  ptraceotlp.GRPCClient
	logs    plogotlp.GRPCClient
	metrics pmetricotlp.GRPCClient
}

// NewOTLPClient connects to an OTLP/gRPC endpoint (host:port on loopback); closed when the test ends.
func NewOTLPClient(t testing.TB, endpoint string) *OTLPClient {
	t.Helper()
	conn, err := grpc.NewClient(endpoint,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(64<<20)))
	if err != nil {
		t.Fatalf("OTLP client for %s: %v", endpoint, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &OTLPClient{
		conn:    conn,
		traces:  ptraceotlp.NewGRPCClient(conn),
		logs:    plogotlp.NewGRPCClient(conn),
		metrics: pmetricotlp.NewGRPCClient(conn),
	}
}

// SendTraces exports one request and returns the error the receiver answered with.
func (c *OTLPClient) SendTraces(td ptrace.Traces) error {
	ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
	defer cancel()
	_, err := c.traces.Export(ctx, ptraceotlp.NewExportRequestFromTraces(td))
	return err
}

// SendLogs exports one request and returns the error the receiver answered with.
func (c *OTLPClient) SendLogs(ld plog.Logs) error {
	ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
	defer cancel()
	_, err := c.logs.Export(ctx, plogotlp.NewExportRequestFromLogs(ld))
	return err
}

// SendMetrics exports one request and returns the error the receiver answered with.
func (c *OTLPClient) SendMetrics(md pmetric.Metrics) error {
	ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
	defer cancel()
	_, err := c.metrics.Export(ctx, pmetricotlp.NewExportRequestFromMetrics(md))
	return err
}

var (
	telemetrygenOnce sync.Once
	telemetrygenBin  string
	telemetrygenErr  error
)

// Telemetrygen runs contrib's telemetrygen (pinned as a tool in go.mod) with args and fails the test if it
// does not finish cleanly within two minutes.
func Telemetrygen(t testing.TB, args ...string) {
	t.Helper()
	telemetrygenOnce.Do(func() {
		dir, err := os.MkdirTemp("", "warden-telemetrygen")
		if err != nil {
			telemetrygenErr = err
			return
		}
		telemetrygenBin = filepath.Join(dir, "telemetrygen")
		cmd := exec.Command("go", "build", "-o", telemetrygenBin, "github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			telemetrygenErr = &buildError{err: err, out: string(out)}
		}
	})
	if telemetrygenErr != nil {
		t.Fatalf("building telemetrygen: %v", telemetrygenErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, telemetrygenBin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("telemetrygen %v: %v\n%s", args, err, out)
	}
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }
