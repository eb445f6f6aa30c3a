#include "controlplane/health/control_plane_checks.h"

namespace causeway::health {

ControlPlaneChecks::ControlPlaneChecks(server::ControlPlane* control_plane)
    : control_plane_(control_plane), checker_([control_plane](const VerdictChange& c) {
        control_plane->SetHealthVerdict({.service = c.key.service,
                                         .endpoint = c.key.endpoint,
                                         .failing = !c.healthy,
                                         .detail = c.detail,
                                         .event = c.text});
      }) {
  control_plane_->SetModelObserver([this](const state::Model& m) { checker_.SetTargets(TargetsOf(m)); });
}

ControlPlaneChecks::~ControlPlaneChecks() { control_plane_->SetModelObserver(nullptr); }

}  // namespace causeway::health
