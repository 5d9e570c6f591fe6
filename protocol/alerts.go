package protocol

import "time"

// PathAlertAcks takes a scanner's acknowledgements of its alerts (POST,
// signed): an operator at the gate has seen that a person who passed
// provisionally has a code that is now red or yellow.
const PathAlertAcks = "/v1/alerts/ack"

// Limits of an acknowledgement batch.
const (
	MaxAlertAcks     = 500     // acknowledgements per POST
	MaxAlertAcksBody = 1 << 20 // bytes
	MaxOperatorLen   = 64      // characters of an operator's name
)

// AlertAck is one alert an operator acknowledged, named by the device's
// record it is about (a device acknowledges only its own records).
type AlertAck struct {
	RecordID string    `json:"record_id"`
	Operator string    `json:"operator"`
	At       time.Time `json:"at"` // the scanner's trusted time
}

// AlertAckBatch is the body of POST /v1/alerts/ack.
type AlertAckBatch struct {
	Acks []AlertAck `json:"acks"`
}

// AlertAckStatus is the server's answer for one acknowledgement.
type AlertAckStatus string

const (
	// AckKept: the alert is marked acknowledged (the first
	// acknowledgement is kept; sending it again changes nothing).
	AckKept AlertAckStatus = "acknowledged"
	// AckUnknown: the server has no alert on that record of this device
	// (yet): the scanner need not send it again.
	AckUnknown AlertAckStatus = "unknown"
)

// AlertAckResult answers one acknowledgement.
type AlertAckResult struct {
	RecordID string         `json:"record_id"`
	Status   AlertAckStatus `json:"status"`
}

// AlertAckReply answers a batch, one result per acknowledgement in order.
type AlertAckReply struct {
	Results    []AlertAckResult `json:"results"`
	ServerTime time.Time        `json:"server_time"`
}
