// Package healthcode is the pure domain of hcscan: the health pass code a
// citizen shows (a signed CBOR payload in a QR code, modelled on the EU
// Digital COVID Certificate), issuing it, verifying it offline against a
// trust list of issuer keys and a status list, and the door's rules: colour,
// temperature, verdict and disposition, and the masking of names and IDs.
//
// It does no I/O and imports no other hcscan package.
package healthcode
