//! Workflows that carry out service requests on a council's legacy web systems.
