//! The channels through which residents, staff and supervisors reach councilbot.
