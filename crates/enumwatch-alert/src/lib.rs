//! Turns rule hits into explained alerts: platform, tool category, severity, confidence, evidence.
