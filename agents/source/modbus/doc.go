// Package modbus is the agent's source of readings from devices on Modbus
// buses: energy meters (presets or a register map), SunSpec inverters,
// meters and batteries, and Deep Sea generator controllers.
//
//	bus (tcp:// or rtu://, one request at a time) → device (preset, sunspec or registers) → guard → readings
//
// Each bus runs on its own goroutine and asks its devices in turn, each on
// its own interval. A device that does not answer is retried with a
// growing delay (up to maxBackoff) so that one dead unit does not take the
// bus's time from the others; its first failure and its return are logged,
// not every poll. Values a device marks "not implemented" never become
// readings, and a counter that goes backwards is held back (guard.go)
// until the device shows it was replaced or reset.
package modbus
