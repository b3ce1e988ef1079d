//go:build ros2

package ros2

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"osr/msgs"
)

// The parameter services over DDS, as rmw_cyclonedds serves a service: a
// request reader on rq/<node>/<service>Request and a reply writer on
// rr/<node>/<service>Reply, both carrying serviceid=...; in USER_DATA so
// that clients pair them, and a request header before each payload that
// the reply echoes.

// serviceEndpoints is one service's reader and writer.
type serviceEndpoints struct {
	svc            Service
	reader, writer entity
	wt             *waiter
}

// serviceID is rmw_cyclonedds's client/service id: the participant's GUID
// prefix and a counter, printed as its csid_to_string does.
func serviceID(participant msgs.Gid, n uint32) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%2x", participant[0])
	for i := 1; i < 12; i++ {
		fmt.Fprintf(&b, ".%x", participant[i])
	}
	for s := 24; s >= 0; s -= 8 {
		fmt.Fprintf(&b, ".%x", byte(n>>s))
	}
	return b.String()
}

// openServices creates the parameter services' endpoints. The readers
// and writers come back for ros_discovery_info.
func (t *Transport) openServices(pp *participant, stop entity) (eps []*serviceEndpoints, readers, writers []msgs.Gid, err error) {
	self, err := gid(pp.pp)
	if err != nil {
		return nil, nil, nil, err
	}
	for i, svc := range t.plan.Services {
		id := serviceID(self, uint32(i+1))
		svc.Request.ServiceID, svc.Reply.ServiceID = id, id
		s := &serviceEndpoints{svc: svc}
		if s.reader, _, err = pp.reader(svc.Request); err != nil {
			return nil, nil, nil, err
		}
		if s.writer, err = pp.writer(svc.Reply); err != nil {
			return nil, nil, nil, err
		}
		if s.wt, err = pp.waiter(s.reader, stop); err != nil {
			return nil, nil, nil, err
		}
		rg, err := gid(s.reader)
		if err != nil {
			return nil, nil, nil, err
		}
		wg, err := gid(s.writer)
		if err != nil {
			return nil, nil, nil, err
		}
		readers, writers = append(readers, rg), append(writers, wg)
		eps = append(eps, s)
	}
	return eps, readers, writers, nil
}

// serve answers one service's requests until ctx ends.
func (t *Transport) serve(ctx context.Context, s *serviceEndpoints, ps paramServer, mu *sync.Mutex) {
	defer s.wt.close()
	for ctx.Err() == nil {
		s.wt.wait(int64(time.Second))
		for ctx.Err() == nil {
			data, pub, ok, err := takeFrom(s.reader)
			if err != nil {
				t.log.Warn("parameter service", "service", s.svc.Request.Name, "err", err)
				break
			}
			if !ok {
				break
			}
			if data == nil {
				continue
			}
			h, req, err := msgs.DecodeParamRequest(s.svc.Param, data)
			if err != nil {
				t.log.Warn("parameter service: bad request", "service", s.svc.Request.Name, "err", err)
				continue
			}
			// One request at a time across the services: a set and the
			// event it publishes stay in order.
			mu.Lock()
			resp := ps.handle(s.svc.Param, req)
			mu.Unlock()
			for _, r := range resp.Results {
				if !r.Successful {
					t.log.Warn("parameter change refused", "reason", r.Reason)
				}
			}
			out, err := msgs.EncodeParamResponse(s.svc.Param, h, resp)
			if err != nil {
				t.log.Warn("parameter service", "service", s.svc.Request.Name, "err", err)
				continue
			}
			// The reply is volatile: wait until the client's reply reader
			// is matched, as rmw_cyclonedds does, or the reply is lost.
			deadline := time.Now().Add(2 * time.Second)
			for clientReaderMatched(s.reader, s.writer, pub) == 0 && time.Now().Before(deadline) && ctx.Err() == nil {
				time.Sleep(10 * time.Millisecond)
			}
			if err := write(s.writer, out); err != nil {
				t.log.Warn("parameter service: reply not sent", "service", s.svc.Request.Name, "err", err)
			}
		}
	}
}

// parameters are the given names with their current values.
func (ps paramServer) parameters(names []string) []msgs.Parameter {
	var out []msgs.Parameter
	for _, name := range names {
		if v, err := ps.s.Get(name); err == nil {
			out = append(out, msgs.Parameter{Name: name, Value: paramValue(v)})
		}
	}
	return out
}

// all are every parameter with its value.
func (ps paramServer) all() []msgs.Parameter {
	var names []string
	for _, p := range ps.s.Params() {
		names = append(names, p.Name)
	}
	return ps.parameters(names)
}
