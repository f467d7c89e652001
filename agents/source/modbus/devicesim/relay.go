package devicesim

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
)

// The relay stands in front of the library's Modbus server, which answers
// every request it is handed: it reads each request's MBAP header and drops
// those for units that would stay silent on a real bus (see the package
// comment).

// answers reports whether a request for unit reaches the Modbus server:
// served units that are alive do, and in gateway mode every unit does (to
// be answered with an exception).
func (s *Server) answers(unit uint8) bool {
	if s.gateway {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.servedLocked(unit)
}

// serve accepts relay connections on ln. Call with s.mu held.
func (s *Server) serve(ln net.Listener) {
	s.ln = ln
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					s.log.Warn("modbus device simulator accept", "facility", s.id, "err", err)
				}
				return
			}
			s.mu.Lock()
			if s.ln != ln { // went dark meanwhile
				s.mu.Unlock()
				c.Close()
				continue
			}
			s.conns[c] = struct{}{}
			s.wg.Add(1)
			s.mu.Unlock()
			go func() {
				defer s.wg.Done()
				s.relay(c)
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			}()
		}
	}()
}

// mbapHeader is the Modbus TCP frame header: transaction id, protocol id,
// length of what follows the length field (unit id and PDU), unit id.
const mbapHeader = 7

// relay passes the client's requests for units that answer to the Modbus
// server and its responses back, and drops the others unanswered.
func (s *Server) relay(c net.Conn) {
	defer c.Close()
	b, err := net.Dial("tcp", s.backendAddr)
	if err != nil {
		s.log.Warn("modbus device simulator: dial the modbus server", "facility", s.id, "err", err)
		return
	}
	defer b.Close()
	go func() {
		io.Copy(c, b) // responses; ends when either side closes
		c.Close()
	}()
	frame := make([]byte, 260) // the largest Modbus TCP frame
	for {
		if _, err := io.ReadFull(c, frame[:mbapHeader]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint16(frame[4:6])) // unit id + PDU
		if n < 2 || mbapHeader-1+n > len(frame) {
			s.log.Debug("modbus device simulator: bad frame length; closing", "facility", s.id, "length", n)
			return
		}
		if _, err := io.ReadFull(c, frame[mbapHeader:mbapHeader-1+n]); err != nil {
			return
		}
		unit := frame[6]
		if !s.answers(unit) {
			s.log.Debug("modbus device simulator: no answer", "facility", s.id, "unit", unit)
			continue
		}
		if _, err := b.Write(frame[:mbapHeader-1+n]); err != nil {
			return
		}
	}
}
