package event

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/schemas"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestReadRowsFromFiles(t *testing.T) {
	defaults := fields{"shipmentId": "S1", "location": "NLRTM"}
	cases := []struct {
		name      string
		typ, file string
		content   string
		batch     int
		wantWhere []string
		wantErrs  []string // "" for a good row
		check     func(t *testing.T, rows []row)
	}{
		{
			name: "a CSV of container moves gives one record per row, flags filling missing columns",
			typ:  "container", file: "m.csv",
			content:   "number,action,eventTime\nMSCU1234566,loaded,2026-11-27T10:00:00Z\nMSCU1234566,departed,2026-11-27T11:00:00Z\n",
			wantWhere: []string{"line 2", "line 3"}, wantErrs: []string{"", ""},
			check: func(t *testing.T, rows []row) {
				assert.Equal(t, "S1", rows[0].TP.ShipmentID)
				assert.Equal(t, "NLRTM", rows[0].TP.Location.UNLocode)
				assert.Equal(t, "departed", rows[1].TP.Container.Action)
			},
		},
		{
			name: "a CSV row with the wrong number of columns is reported and the others kept",
			typ:  "container", file: "m.csv",
			content:   "number,action\nMSCU1234566,loaded\nMSCU1234566\nMSCU1234566,arrived\n",
			wantWhere: []string{"line 2", "line 3", "line 4"}, wantErrs: []string{"", "must have 2 columns like the header, has 1", ""},
		},
		{
			name: "sensor rows are batched per device, bad numbers reported by line",
			typ:  "sensor", file: "r.csv", batch: 2,
			content:   "deviceId,time,temperature\nd1,2026-11-27T10:00:00Z,3\nd1,2026-11-27T10:05:00Z,x\nd1,2026-11-27T10:10:00Z,4\nd1,2026-11-27T10:15:00Z,5\nd2,2026-11-27T10:15:00Z,6\n",
			wantWhere: []string{"line 3", "lines 2-4", "line 5", "line 6"}, wantErrs: []string{`field=temperature value="x" rule=must be a number`, "", "", ""},
			check: func(t *testing.T, rows []row) {
				b := rows[1].TP
				assert.Equal(t, "2026-11-27T10:10:00Z", b.EventTime, "a batch happens at its last reading")
				require.Len(t, b.Sensor.Readings, 2)
				assert.Equal(t, 3.5, b.Sensor.Summary.Temperature.Mean)
				assert.Equal(t, "d2", rows[3].TP.Sensor.DeviceID, "a new device starts a new batch")
			},
		},
		{
			name: "a seal verification without its VVTT columns is refused by row",
			typ:  "seal", file: "s.csv",
			content:   "class,number,action\nH,H-0042-7788,verified\n",
			wantWhere: []string{"line 2"}, wantErrs: []string{"field=view"},
		},
		{
			name: "a JSON array gives one record per item and names wrong types",
			typ:  "container", file: "m.json",
			content:   `[{"container":{"number":"MSCU1234566","action":"loaded"}},{"type":"seal","seal":{"class":"H"}},{"bogus":1}]`,
			wantWhere: []string{"item 1", "item 2", "item 3"},
			wantErrs:  []string{"", `field=type value="seal" rule=this command records container touchpoints`, `unknown field "bogus"`},
			check: func(t *testing.T, rows []row) {
				assert.Equal(t, "container", rows[0].TP.Type)
				assert.Equal(t, now.Format(time.RFC3339Nano), rows[0].TP.EventTime)
			},
		},
		{
			name: "JSON lines are numbered by line",
			typ:  "pod", file: "p.jsonl",
			content:   "{\"pod\":{\"receiver\":\"A\"}}\n\n{\"pod\":{\"receiver\":\"B\"}}\n",
			wantWhere: []string{"line 1", "line 3"}, wantErrs: []string{"", ""},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := readRows(tc.typ, tc.file, strings.NewReader(tc.content), defaults, tc.batch, now)
			require.NoError(t, err)
			require.Len(t, rows, len(tc.wantWhere))
			for i, r := range rows {
				assert.Equal(t, tc.wantWhere[i], r.Where)
				if tc.wantErrs[i] == "" {
					assert.NoError(t, r.Err, r.Where)
					assert.NotNil(t, r.TP)
				} else {
					require.Error(t, r.Err, r.Where)
					assert.Contains(t, r.Err.Error(), tc.wantErrs[i])
				}
			}
			if tc.check != nil {
				tc.check(t, rows)
			}
		})
	}
}

func TestReadRowsRefusesAWholeBadFile(t *testing.T) {
	cases := []struct {
		name, file, content, want string
	}{
		{"an unknown CSV column", "m.csv", "number,colour\nX,red\n", `field=column 2 value="colour" rule=must be one of shipmentId, eventTime, location, number`},
		{"an empty CSV", "m.csv", "", "the file is empty"},
		{"broken JSON", "m.json", "[{", "parsing JSON array"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readRows("container", tc.file, strings.NewReader(tc.content), fields{}, 0, now)
			require.ErrorContains(t, err, tc.want)
			assert.True(t, errors.Is(err, schemas.ErrInvalid))
		})
	}
}
