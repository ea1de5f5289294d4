package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat: 100 on every Linux architecture
// the collector ships for (the kernel reports it to user space as sysconf(_SC_CLK_TCK)).
const clockTicks = 100

// collector is one started collector process.
type collector struct {
	cmd      *exec.Cmd
	logPath  string
	endpoint string // OTLP/gRPC
	pprof    string // pprof extension, when started with it
	dataDir  string // ${env:BENCH_DATA_DIR}: state a config keeps on disk (tail_policy's WAL); removed after the run
	exited   chan error
}

// freePort asks the kernel for a free loopback port.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startCollector starts bin with the config files, on free loopback ports, and waits for its OTLP port.
// A non-empty pprofConfig is loaded last and turns the pprof extension on (bench/configs/pprof*.yaml).
func startCollector(bin string, configs []string, env []string, dir string, pprofConfig string) (*collector, error) {
	endpoint, err := freePort()
	if err != nil {
		return nil, err
	}
	c := &collector{endpoint: endpoint, logPath: filepath.Join(dir, "collector.log"), exited: make(chan error, 1)}
	var args []string
	for _, f := range configs {
		args = append(args, "--config", f)
	}
	telemetry, err := freePort()
	if err != nil {
		return nil, err
	}
	// A second loopback OTLP port, for configs whose exporter sends to a receiver of the same collector
	// (bench/configs/gateway-tempo-loopback.yaml: the shipped Tempo exporter with its persistent queue).
	sink, err := freePort()
	if err != nil {
		return nil, err
	}
	env = append(env, "BENCH_OTLP_ENDPOINT="+endpoint, "BENCH_TELEMETRY_PORT="+telemetry[strings.LastIndexByte(telemetry, ':')+1:],
		"BENCH_SINK_ENDPOINT="+sink)
	if pprofConfig != "" {
		if c.pprof, err = freePort(); err != nil {
			return nil, err
		}
		args = append(args, "--config", pprofConfig)
		env = append(env, "BENCH_PPROF_ENDPOINT="+c.pprof)
	}
	logFile, err := os.Create(c.logPath)
	if err != nil {
		return nil, err
	}
	// A fresh folder per run in the temporary directory (on this machine the same ext4 disk as the
	// repository, so an fsync costs what it costs there), so no run replays another's log.
	if c.dataDir, err = os.MkdirTemp("", "bench-e2e-data-"); err != nil {
		logFile.Close()
		return nil, err
	}
	env = append(env, "BENCH_DATA_DIR="+c.dataDir, "WARDEN_TAIL_WAL_DIR="+filepath.Join(c.dataDir, "tail_policy"))
	c.cmd = exec.Command(bin, args...)
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	if err := c.cmd.Start(); err != nil {
		logFile.Close()
		_ = os.RemoveAll(c.dataDir)
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() {
		err := c.cmd.Wait()
		logFile.Close()
		_ = os.RemoveAll(c.dataDir)
		c.exited <- err
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-c.exited:
			c.exited <- err
			return nil, fmt.Errorf("%s exited during start-up (%v):\n%s", bin, err, c.logTail())
		default:
		}
		if conn, err := net.DialTimeout("tcp", endpoint, 200*time.Millisecond); err == nil {
			conn.Close()
			return c, nil
		}
		if time.Now().After(deadline) {
			c.kill()
			return nil, fmt.Errorf("%s did not open %s within 60s:\n%s", bin, endpoint, c.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *collector) logTail() string {
	b, _ := os.ReadFile(c.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// cpuSeconds is utime+stime of the collector process (all its threads) so far.
func (c *collector) cpuSeconds() (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(b)
}

// parseStatCPU reads utime+stime (fields 14 and 15) of a /proc/PID/stat line, in seconds.
func parseStatCPU(b []byte) (float64, error) {
	// The command name (field 2) may contain spaces: the fields after it start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("unparseable /proc/PID/stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc/PID/stat")
	}
	// f[0] is field 3 (state): utime is field 14, stime field 15.
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return float64(utime+stime) / clockTicks, nil
}

// peakRSS is VmHWM, the resident set's high-water mark, in bytes.
func (c *collector) peakRSS() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/PID/status")
}

// settle waits until the collector has finished the work the load left behind (decisions of buffered
// traces, flushes): its CPU over the last second stays under 3 ticks, at least minWait, at most maxWait.
func (c *collector) settle(minWait, maxWait time.Duration) (time.Duration, error) {
	start := time.Now()
	last, err := c.cpuSeconds()
	if err != nil {
		return 0, err
	}
	lastAt := start
	for {
		time.Sleep(250 * time.Millisecond)
		now := time.Now()
		if now.Sub(lastAt) < time.Second {
			continue
		}
		cpu, err := c.cpuSeconds()
		if err != nil {
			return 0, err
		}
		idle := cpu-last <= 0.03
		last, lastAt = cpu, now
		if (idle && now.Sub(start) >= minWait) || now.Sub(start) >= maxWait {
			return now.Sub(start), nil
		}
	}
}

// stop sends SIGTERM and waits for the collector to exit (SIGKILL after 30s).
func (c *collector) stop() error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.exited:
		c.exited <- err
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return fmt.Errorf("collector exited with %v:\n%s", err, c.logTail())
		}
		return nil
	case <-time.After(30 * time.Second):
		c.kill()
		return errors.New("collector did not stop within 30s of SIGTERM; killed")
	}
}

func (c *collector) kill() {
	_ = c.cmd.Process.Kill()
	<-c.exited
	c.exited <- nil
}
