package event

import (
	"strings"
	"testing"
)

// FuzzReadRows feeds arbitrary files to the bulk reader: it must never
// panic, and every row must carry either a record or the reason it has none.
func FuzzReadRows(f *testing.F) {
	f.Add("container", "m.csv", "number,action\nMSCU1234566,loaded\n")
	f.Add("sensor", "r.csv", "deviceId,time,temperature\nd1,2026-11-27T10:00:00Z,3\nd1,x,y\n")
	f.Add("seal", "s.json", `[{"seal":{"class":"H","number":"H-1234","action":"verified"}}]`)
	f.Add("pod", "p.jsonl", "{\"pod\":{}}\n{")
	f.Add("container", "q.csv", "number,action\n\"MSCU1234566\"x,loaded\n") // a refused quote: no field positions
	f.Fuzz(func(t *testing.T, typ, name, content string) {
		if _, ok := columns[typ]; !ok {
			typ = "container"
		}
		rows, err := readRows(typ, name, strings.NewReader(content), fields{"shipmentId": "S1"}, 3, now)
		if err != nil {
			return
		}
		for _, r := range rows {
			if (r.TP == nil) == (r.Err == nil) {
				t.Fatalf("%s: a row needs exactly one of a record or an error: %+v", r.Where, r)
			}
		}
	})
}
