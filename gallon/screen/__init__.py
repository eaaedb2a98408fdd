"""Screening: stream a molecule library through trained models with Ray Data."""
