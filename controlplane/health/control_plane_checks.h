// Health checks for a ControlPlane: probes the local endpoints of its published state (following it
// as it changes) and hands the verdicts to it (ControlPlane::SetHealthVerdict), which keeps them as
// an overlay on the pushed state and republishes.
#ifndef CAUSEWAY_CONTROLPLANE_HEALTH_CONTROL_PLANE_CHECKS_H_
#define CAUSEWAY_CONTROLPLANE_HEALTH_CONTROL_PLANE_CHECKS_H_

#include "controlplane/health/health_checker.h"
#include "controlplane/server/control_plane.h"

namespace causeway::health {

class ControlPlaneChecks {
 public:
  // Starts checking; `control_plane` must outlive this object.
  explicit ControlPlaneChecks(server::ControlPlane* control_plane);
  // Stops following the state, then stops the probes.
  ~ControlPlaneChecks();
  ControlPlaneChecks(const ControlPlaneChecks&) = delete;
  ControlPlaneChecks& operator=(const ControlPlaneChecks&) = delete;

  const HealthChecker& checker() const { return checker_; }

 private:
  server::ControlPlane* const control_plane_;
  HealthChecker checker_;
};

}  // namespace causeway::health

#endif  // CAUSEWAY_CONTROLPLANE_HEALTH_CONTROL_PLANE_CHECKS_H_
