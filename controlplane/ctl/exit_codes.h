// causewayctl's exit codes, the same for every command so that scripts can tell failures apart.
#ifndef CAUSEWAY_CONTROLPLANE_CTL_EXIT_CODES_H_
#define CAUSEWAY_CONTROLPLANE_CTL_EXIT_CODES_H_

namespace causeway::ctl {

inline constexpr int kExitOk = 0;
// causewayd answered and said no: a validation NACK, an unknown service, ...
inline constexpr int kExitRefused = 1;
// The command line or an input file is wrong; nothing was sent.
inline constexpr int kExitUsage = 2;
// causewayd could not be reached (not running, wrong address, TLS handshake failed, no answer).
inline constexpr int kExitUnreachable = 3;

}  // namespace causeway::ctl

#endif  // CAUSEWAY_CONTROLPLANE_CTL_EXIT_CODES_H_
