package testnetwork

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// userHZ is the unit of the CPU times in /proc/<pid>/stat (USER_HZ, 100 on
// Linux for every architecture Go supports there).
const userHZ = 100

// selfCPU is this process's user+system CPU time: the benchmark's clients,
// and the embedded peer when it runs in this process.
func selfCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("reading own CPU time: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// processCPU is the user+system CPU time of a process, from /proc.
func processCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading CPU time of pid %d: %w", pid, err)
	}
	// The command name, field 2, is in parentheses and may hold spaces;
	// utime and stime are fields 14 and 15, the 12th and 13th after it.
	end := bytes.LastIndexByte(raw, ')')
	fields := strings.Fields(string(raw[end+1:]))
	if end < 0 || len(fields) < 13 {
		return 0, fmt.Errorf("reading CPU time of pid %d: unexpected /proc/%d/stat %q", pid, pid, raw)
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("reading CPU time of pid %d: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// networkCPU returns a function that reads the CPU time of every process
// network.sh started in runDir (peers, orderers, chaincode server, by their
// pid file names) and of this process (as "clients").
func networkCPU(runDir string) func() (map[string]time.Duration, error) {
	return func() (map[string]time.Duration, error) {
		self, err := selfCPU()
		if err != nil {
			return nil, err
		}
		out := map[string]time.Duration{"clients": self}
		files, err := filepath.Glob(filepath.Join(runDir, "pids", "*.pid"))
		if err != nil || len(files) == 0 {
			return nil, fmt.Errorf("finding the network's processes in %s: none found (%v)", runDir, err)
		}
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", f, err)
			}
			pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", f, err)
			}
			cpu, err := processCPU(pid)
			if err != nil {
				return nil, err
			}
			out[strings.TrimSuffix(filepath.Base(f), ".pid")] = cpu
		}
		return out, nil
	}
}

// embeddedCPU reads this process's CPU time: the embedded peer runs in it,
// next to the clients.
func embeddedCPU() (map[string]time.Duration, error) {
	self, err := selfCPU()
	return map[string]time.Duration{"node and clients": self}, err
}

// TestProcessCPUAgreesWithGetrusage reads this process's CPU time both ways
// after some work: /proc's figure (10 ms ticks) must match getrusage's.
func TestProcessCPUAgreesWithGetrusage(t *testing.T) {
	start, err := selfCPU()
	if err != nil {
		t.Fatal(err)
	}
	for x := uint64(1); ; x = x*6364136223846793005 + 1442695040888963407 {
		if now, _ := selfCPU(); now-start > 200*time.Millisecond {
			break
		}
	}
	fromProc, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	fromRusage, err := selfCPU()
	if err != nil {
		t.Fatal(err)
	}
	if d := fromRusage - fromProc; d < -20*time.Millisecond || d > 50*time.Millisecond {
		t.Fatalf("/proc says %v, getrusage %v", fromProc, fromRusage)
	}
	if _, err := processCPU(-1); err == nil {
		t.Fatal("no error for a process that does not exist")
	}
}
