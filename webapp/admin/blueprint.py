"""The admin blueprint, shared by the user pages (``views``) and the directory pages
(``services``): neither imports the other."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
