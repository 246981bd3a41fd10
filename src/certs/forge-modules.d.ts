// node-forge's typings cover only its index module, which also loads TLS, SSH,
// PKCS#12, RSA and more (~50 ms of start-up lab does not need). lab imports only the
// ASN.1 module, which returns its part of the forge namespace as module.exports.
declare module 'node-forge/lib/asn1.js' {
  import type forge from 'node-forge';

  const asn1: typeof forge.asn1;
  export default asn1;
}
